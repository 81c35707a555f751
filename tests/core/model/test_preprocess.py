"""The shared preprocessing: shape, range, and invariance to exposure changes."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.model.preprocess import InputSpec, equalize, preprocess, resize_to_input
from tests.dicom_factory import gradient


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(224, 224), (1000, 800), (50, 70)])
def test_shape_dtype_and_range(shape, dtype):
    g = gradient(*shape, dtype=dtype)
    x = preprocess(g)
    assert x.shape == (224, 224, 1) and x.dtype == np.float32
    assert -1.0 <= x.min() and x.max() <= 1.0


def test_custom_size_from_manifest():
    spec = InputSpec.from_manifest({"height": 128, "width": 96})
    assert preprocess(gradient(300, 300), spec).shape == (128, 96, 1)


def test_monotone_exposure_changes_barely_move_the_input():
    """Gamma and gain are what differ between X-ray machines; equalisation absorbs them."""
    rng = np.random.default_rng(1)
    base = np.clip(rng.normal(0.5, 0.15, (224, 224)), 0, 1).astype(np.float32)
    a = equalize(base)
    b = equalize(np.clip(base**1.6 * 0.8, 0, 1))
    assert np.abs(a - b).mean() < 0.02


def test_flat_image_maps_to_zero():
    assert np.allclose(equalize(np.full((10, 10), 0.3, np.float32)), 0.0)


def test_uint16_and_uint8_paths_agree():
    g8 = gradient(500, 400)
    g16 = g8.astype(np.uint16) * 257
    a, b = resize_to_input(g8, InputSpec()), resize_to_input(g16, InputSpec())
    assert np.abs(a - b).max() < 2 / 255


def test_rejects_colour_and_unknown_normalization():
    with pytest.raises(ValueError):
        preprocess(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        preprocess(gradient(), InputSpec(normalization="zscore"))
