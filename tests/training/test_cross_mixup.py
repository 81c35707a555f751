"""Cross-hospital mixup: a film is blended only with its own class from another hospital."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import tensorflow as tf  # noqa: E402

from training.cross_mixup import donors, hospital_ids, mixed  # noqa: E402
from training.sources import Film  # noqa: E402

H = W = 4


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_donor_shares_the_class_and_comes_from_another_hospital(seed):
    labels = tf.constant([0, 0, 1, 1, 0, 1], tf.float32)
    hospitals = tf.constant([0, 1, 0, 2, 0, 0], tf.int32)
    uniform = tf.random.stateless_uniform([6, 6], seed=[seed, 0])
    idx, has = (np.asarray(t) for t in donors(labels, hospitals, uniform))
    lab, hos = np.asarray(labels), np.asarray(hospitals)
    for i in range(6):
        expected = any(lab[j] == lab[i] and hos[j] != hos[i] for j in range(6))
        assert has[i] == expected
        if has[i]:
            assert lab[idx[i]] == lab[i] and hos[idx[i]] != hos[i]


def test_without_another_hospital_of_the_class_nothing_is_eligible():
    labels = tf.constant([0, 1, 1], tf.float32)
    hospitals = tf.constant([0, 0, 1], tf.int32)  # the only normal film has no partner
    _, has = donors(labels, hospitals, tf.random.uniform([3, 3]))
    assert list(np.asarray(has)) == [False, True, True]


def _dataset(levels, labels, hospitals):
    imgs = np.stack([np.full((H, W, 1), v, np.uint8) for v in levels])
    targets = {"logit": np.asarray(labels, np.float32), "subtype": np.zeros(len(levels), np.float32)}
    weights = {"logit": np.ones(len(levels), np.float32), "subtype": np.ones(len(levels), np.float32)}
    films = tf.data.Dataset.from_tensor_slices((imgs, targets, weights))
    return tf.data.Dataset.zip((films, tf.data.Dataset.from_tensor_slices(np.asarray(hospitals, np.int32))))


@pytest.mark.parametrize("chance", [0.0, 1.0])
def test_blends_stay_within_the_class_and_keep_the_film_dominant(chance):
    # normal films are dark (0 or 40) at two hospitals, abnormal ones bright (200 or 240)
    levels, labels, hospitals = [0, 40, 200, 240], [0, 0, 1, 1], [0, 1, 0, 1]
    out = list(mixed(_dataset(levels, labels, hospitals), chance, batch=4))
    for (img, target, weight), own, label in zip(out, levels, labels):
        value = float(np.asarray(img).mean())
        assert float(target["logit"]) == label
        if chance == 0.0:
            assert value == own and float(weight["subtype"]) == 1.0
        else:
            donor = levels[labels.index(label) + (1 - hospitals[levels.index(own)])]
            assert min(own, donor) <= value <= max(own, donor)
            assert abs(value - own) <= abs(value - donor) + 1  # lam >= 0.5: the film's own look leads
            assert float(weight["subtype"]) == 0.0  # a blend teaches no subtype


def test_hospital_ids_follow_the_sources_order():
    films = [Film(None, 0, h, None) for h in ("hannover", "guangzhou", "shenzhen")]
    assert list(hospital_ids(films)) == [3, 0, 1]
