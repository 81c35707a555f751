"""Tail averaging: a fixed schedule, and the saved network is the average of the last epochs' weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training import tail_average  # noqa: E402


@pytest.mark.parametrize(("epochs", "tail"), [(20, 6), (10, 1), (5, 5)])
def test_the_rate_falls_from_the_start_to_the_tail_rate_and_stays_there(epochs, tail):
    rates = [tail_average.learning_rate(e, epochs, tail, 2e-3) for e in range(epochs)]
    low = 2e-3 * tail_average.TAIL_LR_SHARE
    ramp = epochs - tail
    if ramp:
        assert rates[0] == pytest.approx(2e-3)
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # never rises
    assert rates[ramp:] == pytest.approx([low] * tail)  # flat over every averaged epoch


@pytest.mark.parametrize(("epochs", "tail"), [(10, 0), (10, 11), (3, -1)])
def test_a_tail_outside_the_run_is_refused(epochs, tail):
    with pytest.raises(ValueError, match="tail"):
        tail_average.learning_rate(0, epochs, tail, 1e-3)


def _fit(path, epochs: int, tail: int, run_for: int | None = None):
    """A tiny BatchNorm + Dense model fitted with the tail's callbacks; each epoch's end weights."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(64, 3)) * 2.0 + 1.0).astype(np.float32)
    y = (x[:, 0] + rng.normal(0, 0.5, 64) > 1.0).astype(np.float32)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(1, name="dense")]
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(0.05), loss=keras.losses.BinaryCrossentropy(from_logits=True)
    )
    ends, rates = [], []

    def record(epoch, logs=None):
        ends.append([w.copy() for w in model.get_layer("dense").get_weights()])
        rates.append(float(np.asarray(model.optimizer.learning_rate)))

    sample = x[:32]
    model.fit(
        x,
        y,
        batch_size=16,
        epochs=run_for or epochs,
        shuffle=False,
        callbacks=[
            *tail_average.callbacks(tail, epochs, 0.05, model, sample, path),
            keras.callbacks.LambdaCallback(on_epoch_end=record),
        ],
        verbose=0,
    )
    return ends, rates, sample


@pytest.mark.parametrize("tail", [1, 2, 3])
def test_the_saved_network_is_the_mean_of_the_tail_epochs_with_batchnorm_reestimated(tmp_path, tail):
    import keras

    path = tmp_path / "tail.keras"
    ends, rates, sample = _fit(path, epochs=4, tail=tail)
    saved = keras.models.load_model(path)
    kernel, bias = saved.get_layer("dense").get_weights()
    assert np.allclose(kernel, np.mean([e[0] for e in ends[-tail:]], axis=0), atol=1e-6)
    assert np.allclose(bias, np.mean([e[1] for e in ends[-tail:]], axis=0), atol=1e-6)
    if tail > 1:  # an average, not the last epoch's weights
        assert not np.allclose(kernel, ends[-1][0], atol=1e-4)
    bn = saved.get_layer("bn")  # the first layer: its statistics are the sample's own
    assert np.allclose(np.asarray(bn.moving_mean), sample.mean(axis=0), atol=1e-4)
    assert np.allclose(np.asarray(bn.moving_variance), sample.var(axis=0), rtol=0.05)
    assert rates == pytest.approx([tail_average.learning_rate(e, 4, tail, 0.05) for e in range(4)])


def test_a_run_stopped_before_its_tail_saves_nothing(tmp_path):
    path = tmp_path / "tail.keras"
    _fit(path, epochs=6, tail=2, run_for=3)
    assert not path.exists()


def test_weights_that_never_move_stay_bit_for_bit_and_integer_state_keeps_its_last_value(tmp_path):
    import keras

    frozen = keras.layers.Dense(2, name="frozen", trainable=False)
    net = keras.Sequential([keras.Input((3,)), frozen, keras.layers.Dense(1, name="head")])
    counter = net.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False, name="counter")
    avg = tail_average.TailAverage(
        net, tail=3, epochs=3, sample=np.zeros((4, 3), np.float32), path=tmp_path / "m"
    )
    before = [w.copy() for w in frozen.get_weights()]
    rng = np.random.default_rng(3)
    heads = []
    for epoch in range(3):
        w = [rng.normal(size=v.shape).astype(np.float32) for v in net.get_layer("head").get_weights()]
        net.get_layer("head").set_weights(w)
        heads.append(w)
        counter.assign(epoch + 7)
        avg.on_epoch_end(epoch)
    names = [v.path for v in net.weights]
    means = dict(zip(names, avg.mean))
    assert all(np.array_equal(means[v.path], b) for v, b in zip(frozen.weights, before))
    assert means[counter.path] == 9
    head = net.get_layer("head").weights
    assert np.allclose(means[head[0].path], np.mean([h[0] for h in heads], axis=0), atol=1e-6)


@pytest.mark.slow
def test_a_tail_averaged_run_trains_and_writes_its_average(tmp_path):
    import keras

    from tests.shared import data_dir
    from training.train import TrainConfig, run

    data = str(data_dir() / "chest_xray" / "train")
    cfg = TrainConfig(data=data, out=str(tmp_path), epochs=2, steps=2, limit=24, tail_average=1)
    run_dir = run(cfg)
    assert json.loads((run_dir / "config.json").read_text())["tail_average"] == 1
    assert keras.models.load_model(run_dir / "best.keras").count_params() > 0
    assert (run_dir / "val_predictions.csv").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tail_average": 1, "weight_average": 0.9}, "choose one"),
        ({"tail_average": 21, "epochs": 20}, "1..--epochs"),
        ({"tail_average": -2}, "1..--epochs"),
    ],
)
def test_an_averaging_that_cannot_work_is_refused_before_anything_is_loaded_or_made(
    tmp_path, fields, message
):
    from training.train import TrainConfig, run

    out = tmp_path / "runs"
    with pytest.raises(SystemExit, match=message):
        run(TrainConfig(data=str(tmp_path / "no-such-data"), out=str(out), **fields))
    assert not out.exists()
