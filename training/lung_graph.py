"""``python -m training.lung_graph``: the lung mask inside the classifier's graph (issue 18, items 3, 6).

Why: the masked classifier (``training.lungs.LungMasker``) takes hospital signatures away, but in a
product its mask costs 3.5-15 times the classifier (a segmenter at 64-128 on each film, SciPy's
morphology, a second preprocessing; ``benchmarks/bench_blend.py``); the issue allows +20%. Here
the segmenter reads the classifier's own input averaged in 7x7 blocks (224 -> 32), and the
morphology is pooling and cumulative sums on that 32x32 map, all layers of the one Keras model:
it exports with tf2onnx and quantizes with the classifier, and training sees the film in the
order a product does (core preprocessing, then the mask), so there is no mask-order gap.

Kept from ``lungs.lung_mask``: no lungs found (under 8% of the map) keeps the film whole; a lung
that looks lost (one half of the map under ``LOST`` of the other's lung) comes back mirrored about
the image's centre, so that a consolidation the segmenter missed is never masked away; holes
(lung on all four sides) filled; closed and dilated by a cell (3% of the side); with ``crop``, the
crop to the lungs' box (stretched back to 224, ``cropped``). Not kept: connected components (a
lung cell with under ``SPECK`` of its 5x5 neighbours in the lungs is a speck instead), the midline
from the lungs' centres. This module trains the 32 segmenter (leave-one-hospital-out Dice and the
share of true lung the mask keeps, like ``training.lungs``); ``training.train --lung-graph``
builds it in (``--lung-graph-intensity lungs`` or ``equalised``: the lungs' pixels standardised or
equalised as well, ``LungMaskOps.call``; ``--lung-graph-crop``: the crop). Measured:
``docs/hospitals.md``, seventeenth and eighteenth.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from training.lung_resample import BOX_SCOPE, box, const, cropped, ramp, side, upsampled
from training.lungs import LOST

POOL = 7  # 224 / 7 = 32 cells a side
SPECK = 0.2  # a lung cell with fewer of its 5x5 neighbours in the lungs is a speck
INTENSITIES = ("film", "lungs", "equalised")  # the core's film; lungs standardised; lungs equalised
BINS = 64  # the lungs' histogram (on every 16th pixel)
STATS_STEP = 4  # new models read the lungs' mean and spread on every 4th pixel each way
# The name scopes of the mask's small tensors (its cells at 32, the lungs' statistics, the crop's
# box and sources): thresholds and a variance as a difference of squares, which INT8 rounding
# upsets; ``convert.quantize(fp32_named=SMALL)`` keeps them alone FP32 (on a trained run it halved
# the mask's INT8 logit gap, 0.305 to 0.175; the whole mask FP32: 0.081; benchmarks/README.md).
SMALL = ("lung_cells", "lung_stats", BOX_SCOPE)
FOUND = 0.08  # under this share of the map the segmenter found no lungs: the film stays whole


@keras.saving.register_keras_serializable(package="pneumoscan")
class LungMaskOps(layers.Layer):
    """[image (B, H, W, 1) in [-1, 1], lung logits (B, h, w, 1)] -> the image at -1 outside its lungs."""

    def __init__(
        self,
        lost: float = LOST,
        found: float = FOUND,
        intensity: str = "film",
        crop: bool = False,
        stats_step: int = 1,
        margin: int = 1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if intensity not in INTENSITIES:
            raise ValueError(f"intensity must be one of {INTENSITIES}, not {intensity!r}")
        self.lost, self.found, self.intensity, self.crop = lost, found, intensity, bool(crop)
        self.stats_step = int(stats_step)
        self.margin = int(margin)  # cells the closed mask grows by (1: 7 pixels, 3% of the side)
        if self.margin < 0:
            raise ValueError(f"margin must be 0 or more cells, not {margin}")

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "lost": self.lost,
            "found": self.found,
            "intensity": self.intensity,
            "crop": self.crop,
            "stats_step": self.stats_step,
            "margin": self.margin,
        }

    def mask(self, logits):
        """The mask on the segmenter's map, 1 in the lungs."""
        import tensorflow as tf

        def grow(t):
            return tf.nn.max_pool2d(t, 3, 1, "SAME")

        def shrink(t):  # (closing is grow, then shrink)
            return -tf.nn.max_pool2d(-t, 3, 1, "SAME")

        on = tf.cast(logits > const(0.0), tf.float32)
        crowd = tf.nn.avg_pool2d(on, 5, 1, "SAME")  # lung's share of each cell's 5x5 neighbours
        on = on * tf.cast(crowd >= const(SPECK), tf.float32)  # specks of a cell or two go; thin rims stay
        sides = [tf.math.cumsum(on, axis=a, reverse=r) > const(0.0) for a in (1, 2) for r in (False, True)]
        on = tf.maximum(on, tf.cast(tf.reduce_all(tf.stack(sides), axis=0), tf.float32))  # holes
        half = side(on, 2) // 2
        left = tf.reduce_sum(on[:, :, :half], axis=[1, 2, 3])
        right = tf.reduce_sum(on[:, :, -half:], axis=[1, 2, 3])
        lost = tf.cast(tf.minimum(left, right) < self.lost * tf.maximum(left, right), tf.float32)
        on = tf.maximum(on, on[:, :, ::-1] * lost[:, None, None, None])
        on = shrink(grow(on))  # closed
        on = tf.nn.max_pool2d(on, 2 * self.margin + 1, 1, "SAME")  # then grown by the margin
        none = tf.cast(tf.reduce_mean(on, axis=[1, 2, 3]) < self.found, tf.float32)
        return tf.maximum(on, none[:, None, None, None])

    def soft(self, logits, shape):
        """The mask at the film's ``shape`` (H, W): 1 in the lungs, 0 outside, a ramp between."""
        on = self.mask(logits)
        return upsampled(on, ramp(shape[0], on.shape[1]), ramp(shape[1], on.shape[2]))

    def call(self, inputs):
        """The film times the mask, -1 outside; the mask's edge a 7-pixel ramp (bilinear).

        ``intensity="lungs"``: the lungs' pixels standardised by their own mean and spread (2
        standard deviations to 1). Why: the core equalises the whole film, so what lies outside
        the lungs (a hospital's borders, collimation, the body's size) still sets how bright the
        lungs come out; the masked recipes of ``training.lungs`` equalised after the mask.
        ``intensity="equalised"``: the lungs' histogram equalised (``equalised``), as those did.
        ``stats_step`` k > 1: the mean and spread read on every k-th pixel each way (k = 4: a
        sixteenth of the pixels, four fewer passes over the film at 224); 1 (every pixel) in
        the runs of stop 41 and before, which load with it.
        """
        import tensorflow as tf

        image, logits = inputs
        with tf.name_scope(SMALL[0]):
            on = self.mask(logits)
        h, w, cells_h, cells_w = self.sides
        rows, cols = ramp(h, cells_h), ramp(w, cells_w)
        soft = upsampled(on, rows, cols)
        if self.intensity == "film":
            out = image * soft + (soft - const(1.0))
        elif self.intensity == "equalised":
            out = equalised(image, soft, self.sides[:2]) * soft + (soft - const(1.0))
        else:
            k = self.stats_step  # the lungs' mean and spread read on every k-th pixel each way
            with tf.name_scope(SMALL[1]):
                sample = image[:, k // 2 :: k, k // 2 :: k]  # a strided Slice: cheaper than a Gather
                weight = upsampled(on, rows[k // 2 :: k], cols[k // 2 :: k])  # the soft mask there alone
                n = tf.reduce_sum(weight, axis=[1, 2, 3], keepdims=True) + 1.0 / (k * k)
                inside = sample * weight
                mean = tf.reduce_sum(inside, axis=[1, 2, 3], keepdims=True) / n
                var = tf.reduce_sum(inside * sample, axis=[1, 2, 3], keepdims=True) / n - mean * mean
                scale = 0.5 * tf.math.rsqrt(tf.maximum(var, 1e-4))
                shift = const(1.0) - mean * scale
            out = soft * (image * scale + shift) - const(1.0)  # (image - mean) * scale in the lungs
        return cropped(out, on, self.sides) if self.crop else out

    def build(self, input_shape) -> None:
        """The sides of the film and of the segmenter's map, known when the model is built."""
        image, logits = input_shape
        self.sides = (int(image[1]), int(image[2]), int(logits[1]), int(logits[2]))
        super().build(input_shape)


@keras.saving.register_keras_serializable(package="pneumoscan")
class LungBox(LungMaskOps):
    """Lung logits (B, h, w, 1) -> the box ``LungMaskOps(crop=True)`` crops to, (B, 4): top,
    bottom, left, right as fractions of the film's sides.

    Why: the cropped classifier's 14x14 map covers the lungs' box, not the film; the export adds
    this as the output ``cam_box`` so that the app places the map where the box lies on the film
    (``pneumoscan.model.placement``). The same mask on the same logits, computed a second time:
    ONNX Runtime's common-subexpression pass does not merge the two copies (0.37 ms of the
    converted model's 18.9 per 16 films in stop 43's profile)."""

    def call(self, logits):
        import tensorflow as tf

        with tf.name_scope(SMALL[0]):
            on = self.mask(logits)
        with tf.name_scope(SMALL[2]):
            (top, bottom), (left, right) = box(on, side(on, 1), side(on, 2))
        return tf.stack([top, bottom, left, right], axis=1)

    def build(self, input_shape) -> None:
        layers.Layer.build(self, input_shape)


def equalised(image, soft, sides: tuple[int, int], bins: int = BINS):
    """``image`` (B, H, W, 1) in [-1, 1] through the cumulative histogram of its pixels under
    ``soft`` (the mask at the film's size): the lungs' levels spread evenly over [-1, 1].

    The histogram is counted on every 16th pixel (``bins`` + 1 edges over [-1, 1]), and each
    pixel's level read off it by linear interpolation between the edges (a gather): counting
    at 224 against 65 edges would cost more than the classifier.
    """
    import tensorflow as tf

    small, weight = image[:, 2::4, 2::4], soft[:, 2::4, 2::4]  # every 16th pixel: a sample of levels
    edges = tf.constant(np.linspace(-1, 1, bins + 1, dtype=np.float32)[None, None, None])
    under = tf.cast(small <= edges + const(1e-6), tf.float32) * weight  # (B, h, w, bins + 1)
    cdf = tf.reduce_sum(under, axis=[1, 2]) / (tf.reduce_sum(weight, axis=[1, 2]) + 1e-6)  # (B, bins + 1)
    t = tf.reshape((image + const(1.0)) * const(bins / 2), (-1, sides[0] * sides[1]))
    t = tf.minimum(tf.maximum(t, const(0.0, 2)), const(bins - 1e-3, 2))
    i = tf.floor(t)
    f = t - i
    i = tf.cast(i, tf.int32)
    level = tf.gather(cdf, i, batch_dims=1) * (const(1.0, 2) - f) + tf.gather(cdf, i + 1, batch_dims=1) * f
    return tf.reshape(level * const(2.0, 2) - const(1.0, 2), (-1, sides[0], sides[1], 1))


def masked_input(
    image,
    segmenter: keras.Model,
    intensity: str = "film",
    crop: bool = False,
    stats_step: int = STATS_STEP,
    margin: int = 1,
):
    """The classifier's input tensor, masked to the lungs by the frozen ``segmenter`` (and cropped
    to their box with ``crop``; the mask grown by ``margin`` cells)."""
    segmenter.trainable = False
    small = layers.AveragePooling2D(POOL, name="lung_pool")(image)
    ops = LungMaskOps(intensity=intensity, crop=crop, stats_step=stats_step, margin=margin, name="lung_mask")
    return ops([image, segmenter(small)])


def pooled(x: np.ndarray) -> np.ndarray:
    """(N, H, W, 1) -> (N, H/POOL, W/POOL, 1): the segmenter's view of the classifier's input."""
    n, h, w, c = x.shape
    return x.reshape(n, h // POOL, POOL, w // POOL, POOL, c).mean(axis=(2, 4))


def mask_report(segmenter: keras.Model, x: np.ndarray, m: np.ndarray) -> dict:
    """Dice at 32, and what the in-graph mask does at 224 against the true lungs (``m`` at 224)."""
    from training.lungs import _dice

    small = pooled(x)
    logits = np.asarray(segmenter.predict(small, verbose=0))
    dice = _dice(1 / (1 + np.exp(-logits)), pooled(m) > 0.5)
    ops = LungMaskOps()
    mask = np.concatenate(
        [np.asarray(ops.soft(logits[i : i + 64], x.shape[1:3])) for i in range(0, len(x), 64)]
    )
    truth = m > 0.5
    kept = ((mask > 0.5) * truth).sum(axis=(1, 2, 3)) / np.maximum(truth.sum(axis=(1, 2, 3)), 1)
    share = mask.mean(axis=(1, 2, 3))
    return {
        "films": len(x),
        "dice_mean": float(dice.mean()),
        "dice_p05": float(np.percentile(dice, 5)),
        "mask_keeps_lung_mean": float(kept.mean()),
        "mask_keeps_lung_p05": float(np.percentile(kept, 5)),
        "mask_keeps_below_0.95": int((kept < 0.95).sum()),
        "film_share_kept_mean": float(share.mean()),
        "kept_whole": int((share > 0.999).sum()),
    }


def guangzhou_report(segmenter: keras.Model, data: Path, n: int = 400) -> dict:
    """How the mask treats Guangzhou's children (no masks there): films kept whole, share kept."""
    from pneumoscan.model.preprocess import InputSpec, preprocess
    from pneumoscan.reading.loader import load_image
    from training.split import list_images

    items = list_images(data / "chest_xray" / "train")
    x = np.stack(
        [preprocess(load_image(p).pixels, InputSpec()) for p, _ in items[:: max(1, len(items) // n)][:n]]
    )
    logits = np.asarray(segmenter.predict(pooled(x), verbose=0))
    share = np.asarray(LungMaskOps().soft(logits, x.shape[1:3])).mean(axis=(1, 2, 3))
    return {
        "films": len(x),
        "film_share_kept_mean": float(share.mean()),
        "kept_whole": int((share > 0.999).sum()),
    }


def report(out: Path, data: Path, x: np.ndarray, m: np.ndarray, hs: np.ndarray) -> dict:
    """The mask's figures for the segmenters in ``out``: each held-out hospital by the segmenter
    trained without it, Guangzhou by the one trained on all masks."""
    rows = {}
    for held in ("montgomery", "shenzhen"):
        seg = keras.models.load_model(out / f"segmenter-without-{held}.keras", compile=False)
        rows[held] = mask_report(seg, x[hs == held], m[hs == held])
        print(f"held out {held}: {rows[held]}", flush=True)
    seg = keras.models.load_model(out / "segmenter.keras", compile=False)
    rows["guangzhou (all masks)"] = guangzhou_report(seg, data)
    print(f"guangzhou: {rows['guangzhou (all masks)']}", flush=True)
    (out / "loho_dice.json").write_text(json.dumps(rows, indent=2))
    return rows


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline
    from training.lungs import load_masks, train

    ensure_offline()
    ap = argparse.ArgumentParser(
        description="Train the 32x32 segmenter of the in-graph lung mask (LOHO, then on all masks)."
    )
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--out", default="runs")
    ap.add_argument("--widths", default="16,32,64,128", help="the U-Net's channels a level")
    ap.add_argument("--report", type=Path, help="only measure the segmenters of this folder again")
    args = ap.parse_args(argv)
    t0 = time.time()
    x, m, hs = load_masks(Path(args.data), POOL * 32)
    hs = np.array(hs)
    print(f"{len(x)} films with masks loaded in {time.time() - t0:.0f}s", flush=True)
    if args.report:
        report(args.report, Path(args.data), x, m, hs)
        return
    small, small_m = pooled(x), (pooled(m) > 0.5).astype(np.float32)
    widths = tuple(int(w) for w in args.widths.split(","))
    out = Path(args.out) / time.strftime("lungs-%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    for held in ("montgomery", "shenzhen"):
        tr = hs != held
        train(small[tr], small_m[tr], args.epochs, widths=widths).save(
            out / f"segmenter-without-{held}.keras"
        )
    train(small, small_m, args.epochs, widths=widths).save(out / "segmenter.keras")
    report(out, Path(args.data), x, m, hs)
    print(f"done in {time.time() - t0:.0f}s; {out}", flush=True)


if __name__ == "__main__":
    main()
