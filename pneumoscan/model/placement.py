"""``placed``: a model's class activation map put where its view lies on the film.

Why: a model that crops each film to its lungs' box inside its graph (``training.lung_graph``)
computes its 14x14 map over that box, not over the film; the viewer, the DICOM capture and the
PDF stretch a map over the whole film (``pneumoscan.reading.display.overlay``). Such a model says
where its box lies (the ONNX output ``cam_box``), and the map is resampled into it here, once,
so every reader of ``ScreeningResult.cam`` sees the map on the film. Outside the box the model
saw nothing: those cells take the map's median, which the heat colouring
(``pneumoscan.reading.display.heat_rgba``: what rises above the median) shows as nothing and which
leaves that median where it was. (The lowest value would pull the median down and light the whole
box faintly; looked at on placed maps, stop 43.)
"""

from __future__ import annotations

import numpy as np

SIZE = 56  # the placed map's side: 4 cells a 14x14 cell, so a box's edge falls within 2% of the film


def _along(maps: np.ndarray, lo: np.ndarray, hi: np.ndarray, size: int, fill: np.ndarray) -> np.ndarray:
    """(n, a, b) maps whose axis 1 covers [lo, hi) of the film -> (n, size, b) over the whole film
    (bilinear between cell centres, edges clamped; ``fill`` (n,) outside [lo, hi))."""
    n, cells = maps.shape[:2]
    centre = (np.arange(size) + 0.5) / size  # the film-frame cell centres, fractions
    t = (centre[None, :] - lo[:, None]) / np.maximum(hi - lo, 1e-6)[:, None]  # (n, size) in the box
    source = np.clip(t * cells - 0.5, 0, cells - 1)
    below = np.floor(source).astype(np.intp)
    above = np.minimum(below + 1, cells - 1)
    weight = (source - below)[..., None]
    low = np.take_along_axis(maps, below[..., None], axis=1)
    high = np.take_along_axis(maps, above[..., None], axis=1)
    out = low + (high - low) * weight
    inside = ((t >= 0) & (t <= 1))[..., None]
    return np.where(inside, out, fill[:, None, None])


def placed(cam: np.ndarray, box: np.ndarray, size: int = SIZE) -> np.ndarray:
    """``cam`` (n, h, w) over each film's box ``box`` (n, 4: top, bottom, left, right, fractions
    of the film's sides) -> (n, size, size) over the whole film."""
    cam = np.asarray(cam, dtype=np.float32)
    box = np.asarray(box, dtype=np.float64).reshape(len(cam), 4)
    fill = np.median(cam.reshape(len(cam), -1), axis=1)
    rows = _along(cam, box[:, 0], box[:, 1], size, fill)
    cols = _along(np.swapaxes(rows, 1, 2), box[:, 2], box[:, 3], size, fill)
    return np.swapaxes(cols, 1, 2).astype(np.float32)
