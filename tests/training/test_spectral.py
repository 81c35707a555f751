"""Spectral decoupling: cross-entropy plus the logit's square, weighted per film, and saved with the run."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training.spectral import SpectralDecoupling, resting_logit  # noqa: E402


def _bce(y: float, z: float) -> float:
    return math.log1p(math.exp(-z)) if y else math.log1p(math.exp(z))


@pytest.mark.parametrize("strength", [0.0, 0.01, 0.1])
@pytest.mark.parametrize(("y", "z"), [(1, 3.0), (0, -2.0), (1, -1.5), (0, 6.0)])
def test_each_film_pays_its_cross_entropy_plus_half_the_strength_times_its_logit_squared(strength, y, z):
    got = float(SpectralDecoupling(strength)(np.array([[y]], np.float32), np.array([[z]], np.float32)))
    assert got == pytest.approx(_bce(y, z) + 0.5 * strength * z * z, rel=1e-5)


def test_at_zero_strength_it_is_keras_own_cross_entropy():
    import keras

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (64, 1)).astype(np.float32)
    z = rng.normal(0, 4, (64, 1)).astype(np.float32)
    w = rng.uniform(0.2, 3, 64).astype(np.float32)
    ours = float(SpectralDecoupling(0.0)(y, z, sample_weight=w))
    theirs = float(keras.losses.BinaryCrossentropy(from_logits=True)(y, z, sample_weight=w))
    assert ours == pytest.approx(theirs, rel=1e-5)


def test_one_label_a_film_as_the_training_sets_give_it_reads_as_a_column():
    z = np.array([[2.0], [-1.0]], np.float32)
    flat = float(SpectralDecoupling(0.1)(np.array([1, 0], np.float32), z))
    column = float(SpectralDecoupling(0.1)(np.array([[1], [0]], np.float32), z))
    assert flat == pytest.approx(column, rel=1e-6)


def test_the_class_weights_weigh_the_penalty_as_they_weigh_the_cross_entropy():
    y = np.array([[1], [0]], np.float32)
    z = np.array([[4.0], [-3.0]], np.float32)
    w = np.array([3.0, 1.0], np.float32)
    got = float(SpectralDecoupling(0.05)(y, z, sample_weight=w))
    each = [_bce(1, 4.0) + 0.025 * 16, _bce(0, -3.0) + 0.025 * 9]
    assert got == pytest.approx((3 * each[0] + each[1]) / 2, rel=1e-5)


@pytest.mark.parametrize("strength", [0.003, 0.01, 0.03])
def test_a_right_film_rests_where_the_penalty_and_the_cross_entropy_pull_alike(strength):
    z = resting_logit(strength)
    slope = -1 / (1 + math.exp(z)) + strength * z  # d/dz of log(1 + e^-z) + strength / 2 * z^2
    assert abs(slope) < 1e-9
    assert 0 < z < resting_logit(strength / 3)  # a weaker penalty lets the logit go further


def test_a_network_compiled_with_it_is_saved_and_loaded_with_its_strength(tmp_path):
    import keras

    inputs = keras.Input((3,))
    net = keras.Model(inputs, keras.layers.Dense(1, name="logit")(inputs))
    net.compile(optimizer="adam", loss=SpectralDecoupling(0.02))
    net.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), epochs=1, verbose=0)
    net.save(tmp_path / "best.keras")
    again = keras.models.load_model(tmp_path / "best.keras")
    assert isinstance(again.loss, SpectralDecoupling) and again.loss.strength == 0.02


def test_a_negative_strength_is_refused_before_anything_is_loaded(tmp_path):
    from training.train import TrainConfig, run

    with pytest.raises(ValueError, match="negative"):
        SpectralDecoupling(-0.01)
    out = tmp_path / "runs"
    with pytest.raises(SystemExit, match="negative"):
        run(TrainConfig(data=str(tmp_path / "no-such-data"), out=str(out), spectral=-0.01))
    assert not out.exists()


@pytest.mark.slow
def test_a_run_with_the_penalty_trains_keeps_its_strength_and_predicts(tmp_path):
    from tests.shared import data_dir
    from training.train import TrainConfig, run

    data = str(data_dir() / "chest_xray" / "train")
    cfg = TrainConfig(data=data, out=str(tmp_path), epochs=1, steps=2, limit=24, spectral=0.05)
    run_dir = run(cfg)
    assert json.loads((run_dir / "config.json").read_text())["spectral"] == 0.05
    assert (run_dir / "val_predictions.csv").exists()
