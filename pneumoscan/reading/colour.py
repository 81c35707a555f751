"""How colourful a colour-mode image really is: measured once while decoding, judged by the scope gate.

Reading measures (it has the colour image before it becomes grayscale); the
gate's ``colour`` check decides. Most colour-mode files here are grayscale
films saved as RGB (every training JPEG): for them a channel comparison on a
small copy answers at once, which kept this measure from costing three times
the JPEG decode itself.
"""

from __future__ import annotations

import numpy as np

#: Channels this close everywhere (of 255) are a gray film stored as colour: off-hue share 0, and a
#: chroma of at most 2/40 where the full measure starts (well below the gate's 0.25 and 0.6).
GRAY_TOLERANCE = 2


def small_copy(pixels: np.ndarray, side: int = 128) -> np.ndarray:
    """Strided subsample as float32 in [0, 1] (no copy of the full image)."""
    step = max(1, max(pixels.shape[:2]) // side)
    sub = pixels[::step, ::step]
    top = 255.0 if sub.dtype == np.uint8 else 65535.0 if sub.dtype == np.uint16 else 1.0
    return sub.astype(np.float32) / np.float32(top)


def colour_score(rgb: np.ndarray) -> dict[str, float]:
    """Share of pixels off the image's main hue, and the main hue's strength (uint8 RGB in).

    Chroma is taken relative to brightness, so a photographed or tinted film
    keeps one hue however strong the tint (its off-hue share stays near 0),
    while photos, fundus and histology images vary in hue. Coloured arrows on
    a published figure touch a few percent of pixels. Computed on a small copy.
    """
    step = max(1, max(rgb.shape[:2]) // 128)
    sub8 = rgb[::step, ::step, :3]
    if sub8.dtype == np.uint8:
        as16 = sub8.astype(np.int16)
        spread = int(np.abs(as16[..., 0] - as16[..., 1]).max()) + int(
            np.abs(as16[..., 1] - as16[..., 2]).max()
        )
        if spread <= GRAY_TOLERANCE:
            return {"off_hue": 0.0, "chroma": 0.0}
    sub = small_copy(rgb[..., :3]) * 255.0
    r, g, b = sub[..., 0], sub[..., 1], sub[..., 2]
    lum = (r + g + b) / 3.0
    keep = (lum > 40) & (lum < 235)
    if keep.sum() < 16:
        return {"off_hue": 0.0, "chroma": 0.0}
    rg = (r - g)[keep] / lum[keep]
    yb = (0.5 * (r + g) - b)[keep] / lum[keep]
    m_rg, m_yb = float(np.median(rg)), float(np.median(yb))
    off = float(np.mean(np.hypot(rg - m_rg, yb - m_yb) > 0.15))
    return {"off_hue": round(off, 4), "chroma": round(float(np.hypot(m_rg, m_yb)), 4)}
