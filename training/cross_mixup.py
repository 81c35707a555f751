"""Cross-hospital mixup within a class (twenty-sixth recipe, issue 18 item 3).

Why: with one hospital's children as nearly the only normal children, "looks like a Guangzhou
film" stays a cue for "normal" however the losses are weighted. With ``--cross-mixup P`` a training
film, with chance P, is blended with a film of the *same class from another hospital* of its batch
(``lam * film + (1 - lam) * donor``, ``lam`` uniform in [0.5, 1], before augmentation and the
equaliser), so that each class is seen in blends of every hospital's look and the look alone stops
giving the class away. The label stays the film's own (both films share it); the bacterial-vs-viral
head does not learn from a blended film (the donor's subtype is another's). Nothing changes at
inference. A film with no such donor in its batch stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from training.sources import HOSPITALS, Film

if TYPE_CHECKING:
    import tensorflow as tf


def hospital_ids(films: Sequence[Film]) -> np.ndarray:
    """Each training film's hospital as an index into ``sources.HOSPITALS`` (int32)."""
    return np.array([HOSPITALS.index(f.hospital) for f in films], dtype=np.int32)


def donors(labels: tf.Tensor, hospitals: tf.Tensor, uniform: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """For each film of a batch, a random film of the same class from another hospital.

    ``labels``, ``hospitals``: (B,); ``uniform``: (B, B) random numbers in [0, 1). Returns the
    donor's index and whether there is one; pure tensor code so that it runs inside tf.data."""
    import tensorflow as tf

    same_class = tf.equal(labels[:, None], labels[None, :])
    other_hospital = tf.not_equal(hospitals[:, None], hospitals[None, :])
    eligible = same_class & other_hospital
    score = tf.where(eligible, uniform + 1.0, tf.zeros_like(uniform))
    return tf.argmax(score, axis=1, output_type=tf.int32), tf.reduce_any(eligible, axis=1)


def mixed(ds: tf.data.Dataset, chance: float, batch: int) -> tf.data.Dataset:
    """A shuffled dataset of ((film uint8, targets, weights), hospital) becomes (film uint8,
    targets, weights), some films blended with a same-class donor of another hospital (in [0, 1],
    rounded back to uint8 so that the augmentation that follows sees what it always sees)."""
    import tensorflow as tf

    def _batch(film, hospital):
        imgs, targets, weights = film
        x = tf.cast(imgs, tf.float32) / 255.0
        n = tf.shape(hospital)[0]
        idx, has = donors(targets["logit"], hospital, tf.random.uniform([n, n]))
        take = has & (tf.random.uniform([n]) < chance)
        lam = tf.random.uniform([n], 0.5, 1.0)[:, None, None, None]
        blend = lam * x + (1.0 - lam) * tf.gather(x, idx)
        out = tf.where(take[:, None, None, None], blend, x)
        sub_w = weights["subtype"] * tf.cast(~take, tf.float32)
        return tf.cast(tf.round(out * 255.0), tf.uint8), targets, {**weights, "subtype": sub_w}

    return ds.batch(batch).map(_batch, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
