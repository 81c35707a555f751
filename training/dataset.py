"""tf.data pipelines built on the core loader and preprocessing.

Images are decoded once with ``pneumoscan.reading.loader.load_image`` and squashed with
``pneumoscan.model.preprocess.resize_to_input``; augmentation then runs in TF and the
final histogram equalisation is the TF mirror tested against the core.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from pneumoscan.model.preprocess import InputSpec, resize_to_input
from pneumoscan.reading.loader import load_image
from training.augment import SHIFTED, TRAIN, AugParams, augment, equalize_tf

#: set by ``training.train --lung-crop``: pixels -> pixels, applied before the resize (experiment)
CROP = None


def load_arrays(items: list[tuple[Path, int]], spec: InputSpec) -> tuple[np.ndarray, np.ndarray]:
    """Decode and resize every image once: (N, H, W, 1) uint8 and labels."""
    x = np.empty((len(items), spec.height, spec.width, 1), dtype=np.uint8)
    y = np.empty(len(items), dtype=np.float32)
    for i, (path, label) in enumerate(items):
        pixels = load_image(path).pixels
        unit = resize_to_input(CROP(pixels) if CROP is not None else pixels, spec)
        x[i, ..., 0] = np.clip(np.floor(unit * 255.0 + 0.5), 0, 255).astype(np.uint8)
        y[i] = label
    return x, y


def _to_unit(img: tf.Tensor) -> tf.Tensor:
    return tf.cast(img, tf.float32) / 255.0


def head_targets(y: np.ndarray, subtype: np.ndarray, train_y: np.ndarray, train_sub: np.ndarray):
    """Targets and per-sample weights for the two heads, balanced on the training set.

    The subtype head learns only from pneumonia films whose name says bacterial
    or viral (weight 0 elsewhere); each head's classes weigh half of its loss.
    """
    pos = float(train_y.mean())
    known = ~np.isnan(train_sub)
    viral = float(train_sub[known].mean()) if known.any() else 0.5
    w_cls = np.where(y > 0.5, 0.5 / pos, 0.5 / (1 - pos)).astype(np.float32)
    sub = np.nan_to_num(subtype, nan=0.0).astype(np.float32)
    w_sub = np.where(np.isnan(subtype), 0.0, np.where(sub > 0.5, 0.5 / viral, 0.5 / (1 - viral)))
    return {"logit": y.astype(np.float32), "subtype": sub}, {
        "logit": w_cls,
        "subtype": w_sub.astype(np.float32),
    }


def train_dataset(
    x: np.ndarray,
    targets,
    weights,
    batch: int,
    seed: int,
    aug: AugParams = TRAIN,
    paired: bool = False,
    groups: tuple | None = None,
    swap: tuple[np.ndarray, float] | None = None,
    mix: tuple[np.ndarray, float] | None = None,
    aspect: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Augmented, equalised training batches; ``paired``: two independent looks at each film.
    ``groups``: (each film's group, a function of it) scaling the pneumonia head's weight as the
    run goes (``training.group_dro``). ``swap``: (each film's lung mask, the chance a film takes
    another's surroundings) (``training.background_swap``). ``mix``: (each film's hospital, the
    chance a film is blended with a same-class film of another hospital) (``training.cross_mixup``).
    ``aspect``: each film's extra log aspect for the augmentation (``training.aspect_debias``)."""
    ds = tf.data.Dataset.from_tensor_slices((x, targets, weights))
    if sum(a is not None for a in (groups, swap, mix, aspect)) > 1:
        raise SystemExit("--background-swap, --group-dro, --cross-mixup and --aspect-debias: one at a time")
    if aspect is not None:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(aspect.astype(np.float32))))
    if swap is not None:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(swap[0])))
    if mix is not None:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(mix[0])))
    if groups is not None:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(groups[0])))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if groups is not None:  # after the shuffle, so that each epoch reads the weights as they are then
        scale = groups[1]
        ds = ds.map(lambda film, g: (film[0], film[1], {**film[2], "logit": film[2]["logit"] * scale(g)}))
    if swap is not None:
        from training.background_swap import swapped

        ds = swapped(ds, swap[1], batch)
    if mix is not None:
        from training.cross_mixup import mixed

        ds = mixed(ds, mix[1], batch)

    def _look(img: tf.Tensor, log_aspect: tf.Tensor | float = 0.0) -> tf.Tensor:
        s = tf.random.uniform([2], 0, 2**31 - 1, dtype=tf.int64)
        return equalize_tf(augment(_to_unit(img), s, aug, log_aspect))

    def _map(img: tf.Tensor, label, weight, log_aspect: tf.Tensor | float = 0.0) -> tuple:
        looks = (_look(img, log_aspect), _look(img, log_aspect)) if paired else _look(img, log_aspect)
        return looks, label, weight

    if aspect is not None:
        ds = ds.map(lambda film, off: _map(*film, off), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(_map, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch).prefetch(tf.data.AUTOTUNE)


def eval_dataset(x: np.ndarray, targets=None, weights=None, batch: int = 64) -> tf.data.Dataset:
    """Equalised images, with targets and weights when given (for Keras validation)."""
    if targets is None:
        ds = tf.data.Dataset.from_tensor_slices(x).map(lambda img: equalize_tf(_to_unit(img)))
    else:
        ds = tf.data.Dataset.from_tensor_slices((x, targets, weights))
        ds = ds.map(lambda img, t, w: (equalize_tf(_to_unit(img)), t, w))
    return ds.batch(batch).prefetch(tf.data.AUTOTUNE)


def shifted_copy(x: np.ndarray, seed: int) -> np.ndarray:
    """A fixed, harder-augmented copy of validation images (uint8), made once.

    It stands in for films from other machines: stronger geometry, exposure,
    blur, noise and compression than training sees. Epochs are chosen on it.
    """
    out = np.empty_like(x)
    for i in range(len(x)):
        img = augment(_to_unit(x[i]), tf.constant([seed, i], tf.int64), SHIFTED)
        out[i] = np.clip(np.floor(img.numpy() * 255.0 + 0.5), 0, 255).astype(np.uint8)
    return out


def model_tensors(x_uint8: np.ndarray) -> np.ndarray:
    """uint8 squashed images -> model input, with the core's equaliser (what the ONNX model sees)."""
    from pneumoscan.model.preprocess import equalize

    return np.stack([equalize(img[..., 0].astype(np.float32) / 255.0)[..., None] for img in x_uint8])
