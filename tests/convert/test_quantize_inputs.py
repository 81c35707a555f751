"""convert.quantize.preprocess_files: the serving path, at the classifier's size or another."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from convert.quantize import preprocess_files
from pneumoscan.model.preprocess import InputSpec, preprocess
from pneumoscan.reading.loader import load_image


@pytest.mark.parametrize("spec", [None, InputSpec(height=64, width=64)])
def test_each_file_is_loaded_and_preprocessed_as_served(tmp_path, spec):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(2):
        paths.append(tmp_path / f"film{i}.png")
        Image.fromarray(rng.integers(0, 256, (300, 260), dtype=np.uint8)).save(paths[-1])
    x = preprocess_files(paths, spec)
    side = 224 if spec is None else 64
    assert x.shape == (2, side, side, 1) and x.dtype == np.float32
    want = preprocess(load_image(paths[1]).pixels, spec or InputSpec())
    np.testing.assert_array_equal(x[1], want.astype(np.float32))
