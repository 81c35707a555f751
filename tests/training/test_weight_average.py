"""Weight averaging: the checkpoint holds the running average of the weights, the one validated."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training import weight_average  # noqa: E402


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
def test_a_momentum_outside_zero_to_one_is_refused(momentum):
    with pytest.raises(ValueError, match="momentum"):
        weight_average.optimizer(1e-3, 1e-4, momentum)


@pytest.mark.parametrize(("momentum", "averaged"), [(0.0, False), (0.9, True)])
def test_only_a_momentum_turns_the_average_the_swap_and_the_refresh_on(momentum, averaged):
    import keras

    opt = weight_average.optimizer(1e-3, 1e-4, momentum)
    assert bool(opt.use_ema) is averaged
    films = np.zeros((40, 3), np.float32)
    found = weight_average.callbacks(momentum, keras.Sequential(), films, 0, n=16, prepare=lambda a: a)
    kinds = [keras.callbacks.SwapEMAWeights, weight_average.RefreshBatchNorm] if averaged else []
    assert [type(c) for c in found] == kinds  # the swap first: the refresh reads the averaged weights
    if averaged:
        assert len(found[1].x) == 16


@pytest.mark.parametrize("batch", [8, 25, 100])
def test_refresh_sets_batchnorm_to_the_films_statistics_and_keeps_its_momentum(batch):
    import keras

    rng = np.random.default_rng(1)
    x = (rng.normal(size=(100, 2)) * [1.0, 3.0] + [5.0, -2.0]).astype(np.float32)
    bn = keras.layers.BatchNormalization(momentum=0.99)
    model = keras.Sequential([keras.Input((2,)), bn])
    weight_average.refresh_batchnorm(model, x, batch=batch)
    sizes = [len(x[i : i + batch]) for i in range(0, len(x), batch)]
    if len(set(sizes)) == 1:  # equal batches: the cumulative mean is the films' mean
        assert np.allclose(np.asarray(bn.moving_mean), x.mean(axis=0), atol=1e-4)
    else:
        means = [x[i : i + batch].mean(axis=0) for i in range(0, len(x), batch)]
        assert np.allclose(np.asarray(bn.moving_mean), np.mean(means, axis=0), atol=1e-4)
    assert np.allclose(np.asarray(bn.moving_variance), x.var(axis=0), rtol=0.15)
    assert bn.momentum == 0.99


def _fit(momentum: float, path, seed: int = 0):
    """A tiny logistic model fitted 3 epochs the way training.train does; the raw weights of every step."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] + rng.normal(0, 0.5, 64) > 0).astype(np.float32)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(1, name="dense")]
    )
    model.compile(
        optimizer=weight_average.optimizer(0.05, 0.0, momentum),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    raw = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs=None: raw.append(
            model.get_layer("dense").get_weights()[0].copy()
        )
    )
    save = keras.callbacks.ModelCheckpoint(str(path), monitor="val_loss", mode="min", save_best_only=False)
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        shuffle=False,
        validation_data=(x, y),
        callbacks=[
            *weight_average.callbacks(momentum, model, x, seed, n=32, prepare=lambda a: a),
            save,
            record,
        ],
        verbose=0,
    )
    return keras.models.load_model(path), raw, history.history["val_loss"][-1], (x, y)


def test_the_checkpoint_is_the_running_average_of_the_steps(tmp_path):
    m = 0.9
    saved, raw, val_loss, (x, y) = _fit(m, tmp_path / "avg.keras")
    ema = raw[0]
    for w in raw[1:]:
        ema = m * ema + (1 - m) * w
    kernel = saved.get_layer("dense").get_weights()[0]
    assert np.allclose(kernel, ema, atol=1e-5)
    assert not np.allclose(kernel, raw[-1], atol=1e-3)  # not the last step's weights
    # the weights validated at the epoch's end are the weights saved, with BatchNorm re-estimated
    assert np.isclose(saved.evaluate(x, y, verbose=0), val_loss, rtol=1e-5)
    bn = saved.get_layer("bn")
    sample = x[np.random.default_rng(0).permutation(len(x))[:32]]
    assert np.allclose(np.asarray(bn.moving_mean), sample.mean(axis=0), atol=1e-4)


def test_without_a_momentum_the_checkpoint_is_the_last_step(tmp_path):
    saved, raw, val_loss, (x, y) = _fit(0.0, tmp_path / "raw.keras")
    assert np.allclose(saved.get_layer("dense").get_weights()[0], raw[-1], atol=1e-6)
    assert np.isclose(saved.evaluate(x, y, verbose=0), val_loss, rtol=1e-5)


@pytest.mark.slow
def test_a_weight_averaged_run_trains_and_writes_its_checkpoint(tmp_path):
    import keras

    from tests.shared import data_dir
    from training.train import TrainConfig, run

    data = str(data_dir() / "chest_xray" / "train")
    run_dir = run(TrainConfig(data=data, out=str(tmp_path), epochs=2, steps=2, limit=24, weight_average=0.9))
    assert json.loads((run_dir / "config.json").read_text())["weight_average"] == 0.9
    assert keras.models.load_model(run_dir / "best.keras").count_params() > 0
    assert (run_dir / "val_predictions.csv").exists()


def test_the_refresh_reaches_the_plain_network_whatever_model_fit_drives():
    import keras

    x = (np.random.default_rng(2).normal(size=(64, 2)) + [3.0, -1.0]).astype(np.float32)
    bn = keras.layers.BatchNormalization()
    net = keras.Sequential([keras.Input((2,)), bn])
    refresh = weight_average.RefreshBatchNorm(net, x)
    refresh.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))  # a wrapping trainer
    refresh.on_test_begin()
    assert np.allclose(np.asarray(bn.moving_mean), x.mean(axis=0), atol=1e-4)
