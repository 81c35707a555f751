"""The TF input pipeline and the core preprocessing produce the same tensors."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from pneumoscan.model.preprocess import InputSpec, equalize, preprocess  # noqa: E402
from pneumoscan.reading.loader import load_image  # noqa: E402
from tests.shared import data_dir  # noqa: E402
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
    sub = np.array([split.subtype_label(p.name) for p, _ in sample])
    targets, weights = dataset.head_targets(y, sub, y, sub)
    batch, labels, w = next(iter(dataset.eval_dataset(x, targets, weights, 16)))
    for i, (path, label) in enumerate(sample):
        ref = preprocess(load_image(path).pixels)
        assert np.abs(batch.numpy()[i] - ref).max() <= 1e-6
        assert labels["logit"].numpy()[i] == label
        # the subtype head learns from pneumonia films named bacteria/virus only
        assert (w["subtype"].numpy()[i] > 0) == (not np.isnan(sub[i]))
        if not np.isnan(sub[i]):
            assert labels["subtype"].numpy()[i] == sub[i]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("person12_bacteria_45.jpeg", 0.0), ("person13_virus_46.jpeg", 1.0), ("IM-0001-0001.jpeg", None)],
)
def test_subtype_label_from_file_name(name, expected):
    got = split.subtype_label(name)
    assert np.isnan(got) if expected is None else got == expected


def test_random_erasing_paints_one_flat_rectangle():
    from training.augment import _erase

    img = tf.zeros((224, 224, 1)) + 0.5
    out = _erase(img, tf.constant([3, 4], tf.int64), 0.2).numpy()
    changed = out[..., 0] != 0.5
    area = changed.mean()
    assert 0.0 < area <= 0.2 + 1e-3
    rows, cols = np.where(changed)
    assert changed[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()  # a rectangle


def test_augment_keeps_shape_and_range():
    img = tf.random.uniform((224, 224, 1))
    out = augment(img, tf.constant([1, 2], tf.int64), SHIFTED)
    assert out.shape == (224, 224, 1)
    assert float(tf.reduce_min(out)) >= 0.0 and float(tf.reduce_max(out)) <= 1.0
    assert float(tf.reduce_mean(tf.abs(out - img))) > 0.01
