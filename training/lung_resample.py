"""The in-graph lung mask's resampling (``training.lung_graph``): the soft mask at the film's size,
and the crop to the lungs' box, as graph operations that export cleanly to ONNX and run fast in
ONNX Runtime (each function says which ONNX Runtime cost it avoids)."""

from __future__ import annotations

import numpy as np

BOX_SCOPE = "lung_box"  # the crop's box and sources: small tensors kept FP32 (lung_graph.SMALL)


def ramp(n: int, cells: int) -> np.ndarray:
    """(n, cells) weights that resample ``cells`` to ``n`` bilinearly (half-pixel centres, edges
    clamped), as ``tf.image.resize`` does."""
    source = np.clip((np.arange(n) + 0.5) * cells / n - 0.5, 0, cells - 1)
    below = np.floor(source).astype(int)
    weights = np.zeros((n, cells))
    np.add.at(weights, (np.arange(n), below), 1 - (source - below))
    np.add.at(weights, (np.arange(n), np.minimum(below + 1, cells - 1)), source - below)
    return weights.astype(np.float32)


def upsampled(on, rows: np.ndarray, cols: np.ndarray):
    """The mask ``on`` (B, h, w, 1) at the pixels ``rows`` (H, h) and ``cols`` (W, w) weigh
    (``ramp``): two matrix products. Why: ONNX Runtime's bilinear Resize from 32 to 224 took 1.6 ms
    per 16 films, 7% of the masked model (stop 43's profile); the products 0.3 ms, equal within 1e-5."""
    import tensorflow as tf

    out = tf.matmul(tf.constant(rows[None]), on[..., 0])
    return tf.matmul(out, tf.constant(np.ascontiguousarray(cols.T)[None]))[..., None]


def box(on, h: int, w: int):
    """(top, bottom) and (left, right) of the mask ``on`` (B, h, w, 1), as fractions of its sides."""
    import tensorflow as tf

    def span(any_on, n):  # any_on (B, n): first and one past the last cell on
        i = tf.constant(np.arange(n, dtype=np.float32)[None])
        first = tf.reduce_min(i + n * (1.0 - any_on), axis=1)
        last = tf.reduce_max((i + 1.0) * any_on, axis=1)
        return first / n, last / n

    return span(tf.reduce_max(on, axis=[2, 3]), h), span(tf.reduce_max(on, axis=[1, 3]), w)


def sources(lo, hi, n: int):
    """Where each of the ``n`` output pixels of a side reads the span [lo, hi) (fractions, (B,)):
    the pixel below (B, n) int32, the one above, and the weight of the one above (B, n)."""
    import tensorflow as tf

    i = tf.constant((np.arange(n, dtype=np.float32) + 0.5)[None, :])
    source = n * lo[:, None] + i * (hi - lo)[:, None] - 0.5
    source = tf.minimum(tf.maximum(source, const(0.0, 2)), const(n - 1.0, 2))
    below = tf.floor(source)
    index = tf.cast(below, tf.int32)
    return index, tf.minimum(index + 1, n - 1), source - below


def stretched(rows, lo, hi):
    """``rows`` (B, n, m) resampled along axis 1 so that its span [lo, hi) fills all ``n`` rows
    (bilinear): two gathers of whole rows from the batch flattened to (B * n, m)."""
    import tensorflow as tf

    n, m = rows.shape[1], rows.shape[2]
    with tf.name_scope(BOX_SCOPE):
        below, above, weight = sources(lo, hi, n)
    start = tf.range(tf.shape(rows)[0])[:, None] * n  # each film's first row in the flat batch
    flat = tf.reshape(rows, (-1, m))
    low = tf.gather(flat, tf.reshape(below + start, (-1,)))
    high = tf.gather(flat, tf.reshape(above + start, (-1,)))
    weight = tf.reshape(weight, (-1, 1))
    return tf.reshape(low + (high - low) * weight, (-1, n, m))


def cropped(image, on, sides: tuple[int, int, int, int]):
    """``image`` (B, H, W, 1) cropped to the box of the mask ``on`` (B, h, w, 1) and stretched back
    to (H, W); ``sides`` = (H, W, h, w), static (training's trace knows no shapes).

    Why: the fifteenth's masked recipe cropped to the lungs' box, so that the lungs fill the
    classifier's input at one scale whatever the film's field of view; its Shenzhen held-out
    figures (adults 0.709) were the in-graph mask's missing piece (seventeenth, at chance).
    Bilinear, each side in turn by gathering the two source rows (then columns) of every output
    one: ``tf.image.crop_and_resize`` has no clean ONNX export, and the first version's two matrix
    products with dense (B, 224, 224) weights were the mask's costliest nodes (15% of the masked
    model's time, its mask FP32, in ONNX Runtime's profile; stop 42); a gather reads two rows a row.
    A film kept whole (no lungs found: the mask is all ones) is unchanged.
    """
    import tensorflow as tf

    h, w = sides[:2]
    with tf.name_scope(BOX_SCOPE):
        (top, bottom), (left, right) = box(on, *sides[2:])
    out = stretched(tf.reshape(image, (-1, h, w)), top, bottom)
    out = stretched(tf.transpose(out, (0, 2, 1)), left, right)
    return tf.transpose(out, (0, 2, 1))[..., None]


def const(value: float, rank: int = 4):
    """A (1, 1, 1, 1) constant (``rank`` ones). Why: ONNX Runtime 1.32 runs an elementwise
    operation between a (N, H, W, 1) tensor and a rank-0 or shape-(1,) constant one element at a
    time (``image + 1``: 17-22 ms per 16 films at 224), with a (1, 1, 1, 1) one in 0.3-0.4 ms."""
    import tensorflow as tf

    return tf.constant(value, tf.float32, shape=(1,) * rank)


def side(t, axis: int):
    """A static side where the graph knows it (export), else the dynamic one (training's trace):
    dynamic shapes cost a chain of Shape/Slice/Cast nodes in the ONNX graph."""
    import tensorflow as tf

    return t.shape[axis] if t.shape[axis] is not None else tf.shape(t)[axis]
