"""Augmentation in the tf.data pipeline (never inside the exported model).

Works on [0, 1] images before the shared histogram equalisation, so each
photometric change is seen the way a different X-ray machine would produce it.
``strength`` scales every range: 1.0 for training, larger for the "shifted"
validation copy that stands in for images from other machines.
"""

from __future__ import annotations

import math

import tensorflow as tf

from pneumoscan.preprocess import LEVELS


def equalize_tf(unit: tf.Tensor) -> tf.Tensor:
    """TF mirror of ``pneumoscan.preprocess.equalize`` for one (H, W, 1) image."""
    q = tf.cast(tf.clip_by_value(tf.floor(unit * (LEVELS - 1) + 0.5), 0, LEVELS - 1), tf.int32)
    hist = tf.math.bincount(tf.reshape(q, [-1]), minlength=LEVELS, maxlength=LEVELS)
    below = tf.cumsum(hist) - hist
    mid2 = tf.cast(2 * below + hist, tf.float32)
    total2 = tf.cast(2 * tf.size(q), tf.float32)
    lut = mid2 / total2 * 2.0 - 1.0
    return tf.gather(lut, q)


def _affine(img: tf.Tensor, seed: tf.Tensor, strength: float) -> tf.Tensor:
    h = tf.cast(tf.shape(img)[0], tf.float32)
    w = tf.cast(tf.shape(img)[1], tf.float32)
    u = tf.random.stateless_uniform([6], seed, -1.0, 1.0)
    angle = u[0] * (10.0 * strength) * math.pi / 180.0
    scale = tf.exp(u[1] * 0.15 * strength)
    tx = u[2] * 0.08 * strength * w
    ty = u[3] * 0.08 * strength * h
    shear = u[4] * 0.05 * strength
    aspect = tf.exp(u[5] * 0.08 * strength)
    sx, sy = scale * aspect, scale / aspect
    cos, sin = tf.cos(angle), tf.sin(angle)
    # forward map A = R * S * Shear about the centre; the op wants output->input (A^-1)
    a00, a01 = cos * sx, -sin * sy + cos * sx * shear
    a10, a11 = sin * sx, cos * sy + sin * sx * shear
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    cx, cy = (w - 1) / 2, (h - 1) / 2
    ox = cx + tx
    oy = cy + ty
    b0 = cx - i00 * ox - i01 * oy
    b1 = cy - i10 * ox - i11 * oy
    transform = tf.stack([i00, i01, b0, i10, i11, b1, 0.0, 0.0])[None]
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=img[None],
        transforms=transform,
        output_shape=tf.shape(img)[:2],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return out[0]


def _blur(img: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    x = tf.range(-3, 4, dtype=tf.float32)
    k = tf.exp(-(x**2) / (2.0 * sigma**2))
    k = k / tf.reduce_sum(k)
    kh = tf.reshape(k, [1, 7, 1, 1])
    kv = tf.reshape(k, [7, 1, 1, 1])
    y = tf.nn.conv2d(img[None], kh, 1, "SAME")
    return tf.nn.conv2d(y, kv, 1, "SAME")[0]


def augment(img: tf.Tensor, seed: tf.Tensor, strength: float = 1.0) -> tf.Tensor:
    """Random geometry, exposure, blur, noise and JPEG re-compression for one image."""
    seeds = tf.random.experimental.stateless_split(seed, 8)
    img = _affine(img, seeds[0], strength)
    p = tf.random.stateless_uniform([8], seeds[1])
    gamma = tf.exp(tf.random.stateless_uniform([], seeds[2], -0.4, 0.4) * strength)
    img = tf.pow(tf.clip_by_value(img, 1e-6, 1.0), gamma)
    contrast = 1.0 + tf.random.stateless_uniform([], seeds[3], -0.3, 0.3) * strength
    img = tf.clip_by_value((img - 0.5) * contrast + 0.5, 0.0, 1.0)
    sigma = 0.3 + tf.random.stateless_uniform([], seeds[4], 0.0, 1.0) * strength
    img = tf.cond(p[0] < 0.3, lambda: _blur(img, sigma), lambda: img)
    noise_sd = tf.random.stateless_uniform([], seeds[5], 0.0, 0.03) * strength
    noise = tf.random.stateless_normal(tf.shape(img), seeds[6]) * noise_sd
    img = tf.cond(p[1] < 0.3, lambda: tf.clip_by_value(img + noise, 0.0, 1.0), lambda: img)
    quality = tf.cast(95 - tf.random.stateless_uniform([], seeds[7], 0.0, 50.0) * strength, tf.int32)
    quality = tf.clip_by_value(quality, 20, 95)

    def _jpeg() -> tf.Tensor:
        u8 = tf.image.convert_image_dtype(img, tf.uint8, saturate=True)
        return tf.image.convert_image_dtype(tf.image.adjust_jpeg_quality(u8, quality), tf.float32)

    img = tf.cond(p[2] < 0.3, _jpeg, lambda: img)
    return tf.ensure_shape(img, [None, None, 1])
