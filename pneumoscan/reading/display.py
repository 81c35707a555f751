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


def heat_rgba(cam: np.ndarray) -> np.ndarray:
    """Colour the positive evidence of a class activation map (red-yellow), alpha by strength.

    Shared by the viewer, the DICOM Secondary Capture and the PDF, so a
    radiologist sees the same map wherever the result is read.
    """
    c = np.asarray(cam, dtype=np.float32)
    c = c - np.median(c)
    top = float(c.max())
    unit = np.clip(c / top, 0, 1) if top > 0 else np.zeros_like(c)
    rgba = np.zeros((*unit.shape, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = (unit * 220).astype(np.uint8)
    rgba[..., 2] = 0
    rgba[..., 3] = (unit * 255).astype(np.uint8)
    return rgba


def shrink(pixels: np.ndarray, longest: int) -> np.ndarray:
    """8-bit view at most ``longest`` pixels on the long side (area-averaged by Pillow)."""
    from PIL import Image

    gray = to_uint8(pixels)
    h, w = gray.shape
    scale = min(1.0, longest / max(h, w))
    if scale >= 1.0:
        return gray
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BOX))


def overlay(gray: np.ndarray, cam: np.ndarray | None, opacity: float = 0.45) -> np.ndarray:
    """RGB film with the heatmap stretched over it (the model saw the film squashed to a square)."""
    from PIL import Image

    rgb = np.repeat(to_uint8(gray)[..., None], 3, axis=2).astype(np.float32)
    if cam is not None:
        h, w = gray.shape
        heat = Image.fromarray(heat_rgba(cam)).resize((w, h), Image.Resampling.BILINEAR)
        heat = np.asarray(heat, dtype=np.float32)
        alpha = heat[..., 3:4] / 255.0 * opacity
        rgb = rgb * (1 - alpha) + heat[..., :3] * alpha
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
