"""Validation films as the shipped model's inputs, clean and as the fixed shifted copy.

Conversion and the analyses that score ONNX models (the gates' thresholds, their sweeps) read the
films through the core's own loading and preprocessing, so that what they measure is what ships.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm


def tensors(paths: list[Path]) -> np.ndarray:
    from pneumoscan.model.preprocess import preprocess
    from pneumoscan.reading.loader import load_image

    return np.stack([preprocess(load_image(p).pixels) for p in tqdm(paths, desc="films", leave=False)])


def shifted_tensors(val) -> np.ndarray:
    """The fixed shifted validation copy (training.augment.SHIFTED), as model inputs."""
    from pneumoscan.model.preprocess import InputSpec, equalize
    from training import dataset

    x_u8, _ = dataset.load_arrays(val, InputSpec())
    shifted = dataset.shifted_copy(x_u8, 42)
    return np.stack([equalize(img[..., 0] / 255.0)[..., None] for img in shifted]).astype(np.float32)
