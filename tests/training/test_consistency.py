"""Consistency training (training.consistency, ``train --consistency``)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from training.consistency import js_binary  # noqa: E402
from training.dataset import train_dataset  # noqa: E402


@pytest.mark.parametrize(("a", "b"), [(0.0, 0.0), (-4.0, -4.0), (9.0, 9.0)])
def test_the_same_score_costs_nothing(a, b):
    assert float(js_binary(tf.constant([a]), tf.constant([b]))[0]) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("a", "b"), [(-4.0, -1.0), (0.0, 2.0), (-30.0, 30.0)])
def test_the_divergence_is_symmetric_and_bounded(a, b):
    ab = float(js_binary(tf.constant([a]), tf.constant([b]))[0])
    ba = float(js_binary(tf.constant([b]), tf.constant([a]))[0])
    assert ab == pytest.approx(ba, rel=1e-5) and 0 < ab <= math.log(2) + 1e-6


def test_a_normal_film_moving_towards_the_threshold_costs_more_than_a_sure_one_moving_as_far():
    # the same 3-logit move, near the threshold and deep in "pneumonia"
    near = float(js_binary(tf.constant([-4.0]), tf.constant([-1.0]))[0])
    sure = float(js_binary(tf.constant([9.0]), tf.constant([12.0]))[0])
    assert near > 20 * sure


def test_paired_batches_hold_two_different_looks_at_the_same_films():
    x = np.random.default_rng(0).integers(0, 255, size=(4, 32, 32, 1), dtype=np.uint8)
    y = {"logit": np.array([0, 1, 0, 1], np.float32)}
    w = {"logit": np.ones(4, np.float32)}
    (a, b), labels, _ = next(iter(train_dataset(x, y, w, batch=4, seed=0, paired=True)))
    assert a.shape == b.shape == (4, 32, 32, 1)
    assert not np.allclose(a.numpy(), b.numpy())  # changed independently
    assert sorted(labels["logit"].numpy().tolist()) == [0, 0, 1, 1]


@pytest.mark.slow
def test_a_consistency_run_saves_the_plain_network(tmp_path):
    import keras

    from tests.shared import data_dir
    from training.train import TrainConfig, run

    cfg = TrainConfig(
        data=str(data_dir() / "chest_xray" / "train"),
        out=str(tmp_path),
        epochs=1,
        steps=2,
        limit=32,
        consistency=5.0,
    )
    run_dir = run(cfg)
    net = keras.models.load_model(run_dir / "best.keras")
    assert net.name == "pneumoscan_cnn" and set(net.output) == {"logit", "subtype"}
    with open(run_dir / "history.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert float(row["consistency"]) > 0 and float(row["loss"]) > float(row["logit_loss"])
    assert "val_consistency" not in row  # validation is one look per film
