"""8-bit views of display pixels for thumbnails and the viewer (never for the model).

A 16-bit file may hold 12-bit data, or 8-bit data times 256: shifting right by
8 bits shows the first nearly black and a plain cast wraps around. Scaling by
the image's own top value shows both as they were meant.
"""

from __future__ import annotations

import numpy as np


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """uint8 as is; any other type scaled so that 0 stays black and the top value is white."""
    if pixels.dtype == np.uint8:
        return pixels
    arr = pixels.astype(np.float32)
    finite = np.isfinite(arr)
    top = float(arr[finite].max()) if finite.any() else 0.0
    if top <= 0:
        return np.zeros(pixels.shape, dtype=np.uint8)
    return np.clip(np.where(finite, arr, 0.0) * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
