"""MixStyle: the identity at inference, a mix of two films' statistics while training."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training.mixstyle import MixStyle  # noqa: E402


def _maps(n: int = 6, seed: int = 0) -> np.ndarray:
    """Feature maps whose films differ in mean and spread, as hospitals' do."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 3.0, (n, 1, 1, 4))
    shift = rng.uniform(-2.0, 2.0, (n, 1, 1, 4))
    return (rng.normal(size=(n, 8, 8, 4)) * scale + shift).astype(np.float32)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_inference_is_the_identity(p):
    x = _maps()
    assert np.array_equal(np.asarray(MixStyle(p=p, seed=1)(x, training=False)), x)


def test_no_chance_no_mixing_even_while_training():
    x = _maps()
    assert np.array_equal(np.asarray(MixStyle(p=0.0, seed=1)(x, training=True)), x)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_film_gets_a_mean_between_its_own_and_another_films(seed):
    x = _maps(seed=seed)
    y = np.asarray(MixStyle(p=1.0, alpha=0.5, seed=seed)(x, training=True))
    mu_in, mu_out = x.mean(axis=(1, 2)), y.mean(axis=(1, 2))
    lo, hi = mu_in.min(axis=0), mu_in.max(axis=0)
    assert np.all(mu_out >= lo - 1e-4) and np.all(mu_out <= hi + 1e-4)
    assert not np.allclose(y, x, atol=1e-3)  # some film took on another's statistics
    # the content is kept: each film's normalised map is unchanged up to its new mean and spread
    z_in = (x - x.mean(axis=(1, 2), keepdims=True)) / x.std(axis=(1, 2), keepdims=True)
    z_out = (y - y.mean(axis=(1, 2), keepdims=True)) / y.std(axis=(1, 2), keepdims=True)
    assert np.allclose(z_in, z_out, atol=1e-3)


def test_the_gradient_reaches_the_input():
    import tensorflow as tf

    x = tf.constant(_maps())
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(MixStyle(p=1.0, seed=4)(x, training=True) ** 2)
    grad = tape.gradient(loss, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0


def test_a_model_with_mixstyle_saves_loads_and_exports_unchanged(tmp_path):
    import keras

    from training.model import build_model, export_model

    model = build_model(mixstyle=0.5)
    names = [layer.name for layer in model.layers if isinstance(layer, MixStyle)]
    assert names == ["b0_mixstyle", "b1_mixstyle"]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(5).uniform(-1, 1, (2, 224, 224, 1)).astype(np.float32)
    want = np.asarray(model(x, training=False)["logit"])
    assert np.allclose(np.asarray(loaded(x, training=False)["logit"]), want, atol=1e-5)
    assert np.allclose(np.asarray(export_model(loaded)(x, training=False)[0]), want, atol=1e-5)


@pytest.mark.slow
def test_a_mixstyle_run_trains_and_its_checkpoint_carries_the_layers(tmp_path):
    import keras

    from tests.shared import data_dir
    from training.train import TrainConfig, run

    data = str(data_dir() / "chest_xray" / "train")
    run_dir = run(TrainConfig(data=data, out=str(tmp_path), epochs=1, steps=2, limit=24, mixstyle=1.0))
    model = keras.models.load_model(run_dir / "best.keras")
    assert sum(isinstance(layer, MixStyle) for layer in model.layers) == 2
    assert (run_dir / "val_predictions.csv").exists()
