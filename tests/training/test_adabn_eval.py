"""AdaBN measurement: BatchNorm statistics re-estimated exactly on a site's films, layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training import adabn_eval  # noqa: E402


@pytest.mark.parametrize(("n", "seed"), [(10, 0), (11, 3), (662, 1)])
def test_halves_split_every_film_once(n, seed):
    first, second = adabn_eval.halves(n, seed)
    assert len(first) == n // 2
    assert sorted(np.r_[first, second].tolist()) == list(range(n))


def _two_bn_model():
    import keras

    inp = keras.Input((4,))
    h = keras.layers.BatchNormalization(name="bn1")(inp)
    h = keras.layers.Dense(3, name="mix")(h)
    out = keras.layers.BatchNormalization(name="bn2")(h)
    return keras.Model(inp, out)


@pytest.mark.parametrize("n", [5, 64, 150])
def test_adapt_gives_each_layer_its_inputs_statistics_after_the_layers_before(n):
    import keras

    keras.utils.set_random_seed(0)
    model = _two_bn_model()
    x = (np.random.default_rng(n).normal(size=(n, 4)) * [1, 2, 3, 4] + [4, 3, 2, 1]).astype(np.float32)
    adabn_eval.adapt(model, x)
    bn1, bn2 = model.get_layer("bn1"), model.get_layer("bn2")
    assert np.allclose(np.asarray(bn1.moving_mean), x.mean(axis=0), atol=1e-4)
    assert np.allclose(np.asarray(bn1.moving_variance), x.var(axis=0), rtol=1e-4)
    # the second layer sees the first one's adapted output: its input is then standardised
    mid = np.asarray(keras.Model(model.input, bn2.input)(x, training=False))
    assert np.allclose(np.asarray(bn2.moving_mean), mid.mean(axis=0), atol=1e-4)
    assert np.allclose(np.asarray(bn2.moving_variance), mid.var(axis=0), rtol=1e-3)
    # so the adapted model's output is standardised on these films (up to BatchNorm's epsilon)
    y = np.asarray(model(x, training=False))
    assert np.allclose(y.mean(axis=0), 0.0, atol=1e-3)
    assert np.allclose(y.std(axis=0), 1.0, atol=0.02)
