"""Random convolutions (the ``randconv`` augmentation preset): texture varied, the film kept."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import tensorflow as tf  # noqa: E402

from training.augment import PRESETS, RANDCONV, ROUND2, _randconv, augment  # noqa: E402


def _film() -> np.ndarray:
    """A smooth chest-like picture spanning [0, 1]: two dark ellipses on a bright gradient."""
    yy, xx = np.mgrid[0:96, 0:96] / 95.0
    img = 0.4 + 0.6 * yy
    for cx in (0.3, 0.7):
        img = np.where(((xx - cx) / 0.15) ** 2 + ((yy - 0.5) / 0.3) ** 2 < 1, 0.1 * img, img)
    img = (img - img.min()) / (img.max() - img.min())
    return img[..., None].astype(np.float32)


def test_a_one_pixel_filter_leaves_the_film_as_it_is():
    img = _film()
    out = _randconv(tf.constant(img), tf.constant([3, 4], tf.int64), radius=0).numpy()
    np.testing.assert_allclose(out, img, atol=1e-5)


@pytest.mark.parametrize("seed", range(12))
def test_the_filtered_film_stays_in_range_and_is_never_inverted(seed):
    img = _film()
    out = _randconv(tf.constant(img), tf.constant([seed, 1], tf.int64), radius=3).numpy()
    assert out.shape == img.shape
    assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6
    assert np.corrcoef(out.ravel(), img.ravel())[0, 1] > 0.2


def test_the_filter_is_drawn_from_the_seed():
    img = tf.constant(_film())
    a, b = (_randconv(img, tf.constant([s, 1], tf.int64), 3).numpy() for s in (5, 5))
    c = _randconv(img, tf.constant([6, 1], tf.int64), 3).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_the_preset_changes_only_the_films_that_draw_it():
    """Every other random choice is the round-2 preset's, so a film that does not draw the filter
    comes out exactly as round 2 makes it, and about half of the films do draw it."""
    img = tf.constant(_film())
    same = 0
    for s in range(40):
        seed = tf.constant([s, 2], tf.int64)
        same += bool(np.array_equal(augment(img, seed, RANDCONV).numpy(), augment(img, seed, ROUND2).numpy()))
    assert 8 <= same <= 32
    off = replace(RANDCONV, p_randconv=0.0)
    seed = tf.constant([0, 2], tf.int64)
    np.testing.assert_array_equal(augment(img, seed, off).numpy(), augment(img, seed, ROUND2).numpy())


def test_training_can_ask_for_it_by_name():
    assert PRESETS["randconv"] is RANDCONV and RANDCONV.p_randconv > 0
