"""The TF input pipeline and the core preprocessing produce the same tensors."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from pneumoscan.loader import load_image  # noqa: E402
from pneumoscan.preprocess import InputSpec, equalize, preprocess  # noqa: E402
from tests.conftest import data_dir  # noqa: E402
from training import dataset, split  # noqa: E402
from training.augment import SHIFTED, augment, equalize_tf  # noqa: E402


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equalize_tf_matches_core(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (224, 224)).astype(np.float32) ** (seed + 1)
    ref = equalize(x)
    got = equalize_tf(tf.constant(x[..., None])).numpy()[..., 0]
    assert np.abs(ref - got).max() <= 1e-6


def test_training_pipeline_matches_serving_preprocess():
    items = split.list_images(data_dir() / "chest_xray" / "train")
    sample = items[:8] + items[-8:]
    x, y = dataset.load_arrays(sample, InputSpec())
    batch, labels = next(iter(dataset.eval_dataset(x, y, 16)))
    for i, (path, label) in enumerate(sample):
        ref = preprocess(load_image(path).pixels)
        assert np.abs(batch.numpy()[i] - ref).max() <= 1e-6
        assert labels.numpy()[i] == label


def test_augment_keeps_shape_and_range():
    img = tf.random.uniform((224, 224, 1))
    out = augment(img, tf.constant([1, 2], tf.int64), SHIFTED)
    assert out.shape == (224, 224, 1)
    assert float(tf.reduce_min(out)) >= 0.0 and float(tf.reduce_max(out)) <= 1.0
    assert float(tf.reduce_mean(tf.abs(out - img))) > 0.01
