"""Augmentation in the tf.data pipeline (never inside the exported model).

Works on [0, 1] images before the shared histogram equalisation, so each
photometric change is seen the way a different X-ray machine would produce it.
Ranges live in ``AugParams``: ``TRAIN`` for training and a fixed ``SHIFTED``
set for the validation copy that stands in for images from other machines
(kept fixed so runs with different training augmentation stay comparable).

``training.robustness`` showed framing (zoom out/in, rotation) and blur moved
normal films towards "pneumonia" far more than exposure did (histogram
equalisation already absorbs exposure), so geometry and blur ranges are wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import tensorflow as tf

from pneumoscan.model.preprocess import LEVELS


@dataclass(frozen=True)
class AugParams:
    rotate_deg: float = 15.0
    log_scale: float = 0.25  # zoom factor exp(U(-x, x)): 0.78 to 1.28
    shift: float = 0.10
    shear: float = 0.08
    log_aspect: float = 0.10
    gamma: float = 0.4
    contrast: float = 0.3
    p_blur: float = 0.4
    max_blur: float = 2.0
    p_noise: float = 0.3
    max_noise: float = 0.03
    p_jpeg: float = 0.3
    min_jpeg_quality: int = 40
    p_edge_fill: float = 0.5  # fill uncovered borders by edge replication instead of black
    p_erase: float = 0.0  # random erasing: one rectangle of flat grey
    erase_max_area: float = 0.2
    p_randconv: float = 0.0  # random convolution: a random local filter's texture mixed in (RandConv)
    randconv_radius: int = 3  # the kernel's largest half-width (7 x 7); each film draws 0..this


TRAIN = AugParams()
STRONG = AugParams(rotate_deg=20.0, log_scale=0.35, p_blur=0.5, max_blur=2.5, p_noise=0.5, max_noise=0.05)
# Round 2: wider zoom and random erasing, so no single region (the mediastinum,
# a marker, a border) can carry the decision alone.
ROUND2 = replace(STRONG, shift=0.12, p_erase=0.5, erase_max_area=0.2)
# Issue 18: stronger intensity changes (exposure, contrast, detector noise, compression), so that a
# hospital's film "look" is less of a cue than the lungs.
HOSPITALS = replace(
    ROUND2, gamma=0.8, contrast=0.6, p_noise=0.6, max_noise=0.07, p_jpeg=0.5, min_jpeg_quality=25
)
# Issue 18: each machine's own sharpness and texture (detector, processing, grids) is a cue that
# equalisation leaves in; random convolutions (Xu et al., ICLR 2021) vary it at every step.
RANDCONV = replace(ROUND2, p_randconv=0.5)
PRESETS = {
    "default": TRAIN, "strong": STRONG, "round2": ROUND2, "hospitals": HOSPITALS, "randconv": RANDCONV,
}  # fmt: skip
# Nothing random: only an explicit ``log_aspect`` moves a film (``training.aspect_probe``).
STILL = AugParams(
    rotate_deg=0.0, log_scale=0.0, shift=0.0, shear=0.0, log_aspect=0.0, gamma=0.0, contrast=0.0,
    p_blur=0.0, p_noise=0.0, p_jpeg=0.0, p_edge_fill=1.0,
)  # fmt: skip
SHIFTED = AugParams(
    rotate_deg=12.0,
    log_scale=0.22,
    shift=0.10,
    shear=0.06,
    log_aspect=0.10,
    gamma=0.6,
    contrast=0.4,
    p_blur=0.5,
    max_blur=1.5,
    p_noise=0.5,
    max_noise=0.04,
    p_jpeg=0.5,
    min_jpeg_quality=30,
    p_edge_fill=0.0,
)


def equalize_tf(unit: tf.Tensor) -> tf.Tensor:
    """TF mirror of ``pneumoscan.model.preprocess.equalize`` for one (H, W, 1) image."""
    q = tf.cast(tf.clip_by_value(tf.floor(unit * (LEVELS - 1) + 0.5), 0, LEVELS - 1), tf.int32)
    hist = tf.math.bincount(tf.reshape(q, [-1]), minlength=LEVELS, maxlength=LEVELS)
    below = tf.cumsum(hist) - hist
    mid2 = tf.cast(2 * below + hist, tf.float32)
    total2 = tf.cast(2 * tf.size(q), tf.float32)
    lut = mid2 / total2 * 2.0 - 1.0
    return tf.gather(lut, q)


def _affine(
    img: tf.Tensor, seed: tf.Tensor, a: AugParams, edge_fill: tf.Tensor, log_aspect: tf.Tensor | float = 0.0
) -> tf.Tensor:
    h = tf.cast(tf.shape(img)[0], tf.float32)
    w = tf.cast(tf.shape(img)[1], tf.float32)
    u = tf.random.stateless_uniform([6], seed, -1.0, 1.0)
    angle = u[0] * a.rotate_deg * math.pi / 180.0
    scale = tf.exp(u[1] * a.log_scale)
    tx = u[2] * a.shift * w
    ty = u[3] * a.shift * h
    shear = u[4] * a.shear
    aspect = tf.exp(u[5] * a.log_aspect + log_aspect)
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

    def warp(mode: str) -> tf.Tensor:
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=img[None],
            transforms=transform,
            output_shape=tf.shape(img)[:2],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode=mode,
        )[0]

    return tf.cond(edge_fill, lambda: warp("NEAREST"), lambda: warp("CONSTANT"))


def _blur(img: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    x = tf.range(-4, 5, dtype=tf.float32)
    k = tf.exp(-(x**2) / (2.0 * sigma**2))
    k = k / tf.reduce_sum(k)
    kh = tf.reshape(k, [1, 9, 1, 1])
    kv = tf.reshape(k, [9, 1, 1, 1])
    y = tf.nn.conv2d(img[None], kh, 1, "SAME")
    return tf.nn.conv2d(y, kv, 1, "SAME")[0]


def _erase(img: tf.Tensor, seed: tf.Tensor, max_area: float) -> tf.Tensor:
    """One rectangle (2% to max_area of the image, aspect 1:3 to 3:1) set to a random grey."""
    h = tf.cast(tf.shape(img)[0], tf.float32)
    w = tf.cast(tf.shape(img)[1], tf.float32)
    u = tf.random.stateless_uniform([5], seed)
    area = (0.02 + u[0] * (max_area - 0.02)) * h * w
    aspect = tf.exp((u[1] * 2.0 - 1.0) * math.log(3.0))
    eh = tf.minimum(tf.sqrt(area * aspect), h)
    ew = tf.minimum(tf.sqrt(area / aspect), w)
    y0 = u[2] * (h - eh)
    x0 = u[3] * (w - ew)
    ys = tf.range(h)[:, None, None]
    xs = tf.range(w)[None, :, None]
    inside = (ys >= y0) & (ys < y0 + eh) & (xs >= x0) & (xs < x0 + ew)
    return tf.where(inside, u[4], img)


def _randconv(img: tf.Tensor, seed: tf.Tensor, radius: int) -> tf.Tensor:
    """The film through a random filter of random size, mixed back with itself at a random share.

    The filter's sum is kept positive so that it never inverts the film (inversion is the scope
    gate's business, not a texture); the result is rescaled to [0, 1], and the equalisation after
    augmentation undoes whatever monotone change is left."""
    k = 2 * radius + 1
    s = tf.random.experimental.stateless_split(seed, 3)
    r = tf.random.stateless_uniform([], s[0], 0, radius + 1, dtype=tf.int32)
    offs = tf.abs(tf.range(k) - radius)
    inside = tf.cast((offs[:, None] <= r) & (offs[None, :] <= r), tf.float32)
    w = tf.random.stateless_normal([k, k], s[1]) * inside
    w = w * tf.sign(tf.reduce_sum(w) + 1e-6)
    padded = tf.pad(img, [[radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    out = tf.nn.conv2d(padded[None], w[:, :, None, None], 1, "VALID")[0]
    lo, hi = tf.reduce_min(out), tf.reduce_max(out)
    out = (out - lo) / tf.maximum(hi - lo, 1e-6)
    share = tf.random.stateless_uniform([], s[2])
    return share * img + (1.0 - share) * out


def augment(
    img: tf.Tensor, seed: tf.Tensor, a: AugParams = TRAIN, log_aspect: tf.Tensor | float = 0.0
) -> tf.Tensor:
    """Random geometry, erasing, random convolution, exposure, blur, noise and JPEG re-compression.

    ``log_aspect`` is added to the random aspect's logarithm: the film is widened by
    ``exp(2 * log_aspect)`` against its height (``training.aspect_debias``)."""
    seeds = tf.random.experimental.stateless_split(seed, 8)  # 8: the shifted copy stays as it was
    p = tf.random.stateless_uniform([8], seeds[1])
    img = _affine(img, seeds[0], a, p[3] < a.p_edge_fill, log_aspect)
    if a.p_erase > 0:
        img = tf.cond(
            p[4] < a.p_erase,
            lambda: _erase(img, tf.random.experimental.stateless_fold_in(seeds[0], 9), a.erase_max_area),
            lambda: img,
        )
    if a.p_randconv > 0:
        img = tf.cond(
            p[5] < a.p_randconv,
            lambda: _randconv(img, tf.random.experimental.stateless_fold_in(seeds[0], 11), a.randconv_radius),
            lambda: img,
        )
    gamma = tf.exp(tf.random.stateless_uniform([], seeds[2], -a.gamma, a.gamma))
    img = tf.pow(tf.clip_by_value(img, 1e-6, 1.0), gamma)
    contrast = 1.0 + tf.random.stateless_uniform([], seeds[3], -a.contrast, a.contrast)
    img = tf.clip_by_value((img - 0.5) * contrast + 0.5, 0.0, 1.0)
    sigma = 0.3 + tf.random.stateless_uniform([], seeds[4], 0.0, a.max_blur - 0.3)
    img = tf.cond(p[0] < a.p_blur, lambda: _blur(img, sigma), lambda: img)
    noise_sd = tf.random.stateless_uniform([], seeds[5], 0.0, a.max_noise)
    noise = tf.random.stateless_normal(tf.shape(img), seeds[6]) * noise_sd
    img = tf.cond(p[1] < a.p_noise, lambda: tf.clip_by_value(img + noise, 0.0, 1.0), lambda: img)
    quality = tf.cast(tf.random.stateless_uniform([], seeds[7], float(a.min_jpeg_quality), 95.0), tf.int32)

    def _jpeg() -> tf.Tensor:
        u8 = tf.image.convert_image_dtype(img, tf.uint8, saturate=True)
        return tf.image.convert_image_dtype(tf.image.adjust_jpeg_quality(u8, quality), tf.float32)

    img = tf.cond(p[2] < a.p_jpeg, _jpeg, lambda: img)
    return tf.ensure_shape(img, [None, None, 1])
