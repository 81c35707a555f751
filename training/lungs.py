"""``python -m training.lungs``: a small lung-field segmenter from the NLM masks (issue 18, item 3).

Why: hospital signatures (labels burnt into corners, collimation, borders, positioning aids) sit
outside the lungs. A crop to the lung fields (``LungCropper``) or a mask that blanks everything
outside them (``LungMasker``) removes them before the classifier sees the film. The masks come
from two hospitals (Shenzhen, Montgomery), mostly adults, so the segmenter is measured
leave-one-hospital-out (Dice, and how much true lung the processed mask keeps, on the hospital it
never saw); those two segmenters are kept for leave-one-hospital-out training
(``segmenter-without-<hospital>.keras``) beside the final one trained on both.

Input is the core preprocessing (squash + histogram equalisation) at ``SIZE``; the output is a
lung probability per pixel. ``lung_box`` turns it into a crop box with a margin, ``lung_mask``
into a mask at the film's size.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

SIZE = 128
MARGIN = 0.08  # of the image side, around the lungs' box: costophrenic angles stay in


def load_masks(data: Path, size: int = SIZE) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Equalised films (N, size, size, 1) in [-1, 1], masks (N, size, size, 1) in {0, 1}, hospitals."""
    from PIL import Image

    from pneumoscan.model.preprocess import InputSpec, preprocess

    spec = InputSpec(height=size, width=size)
    root = data / "other_hospitals"
    xs, ms, hs = [], [], []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row.get("mask") or row.get("train_ok") != "yes":
                continue
            img = np.asarray(Image.open(root / row["path"]).convert("L"))
            mask = Image.open(root / row["mask"]).convert("L").resize((size, size), Image.Resampling.BILINEAR)
            xs.append(preprocess(img, spec))
            ms.append((np.asarray(mask) > 127).astype(np.float32)[..., None])
            hs.append(row["hospital"])
    return np.stack(xs), np.stack(ms), hs


def build_unet(size: int = SIZE, widths=(16, 32, 64, 128)):
    """A small U-Net: plain Conv-BN-ReLU, two convs a level (exports and quantizes like the CNN)."""
    import keras
    from keras import layers

    def block(x, w, name):
        for k in "ab":
            x = layers.Conv2D(w, 3, padding="same", use_bias=False, name=f"{name}{k}_conv")(x)
            x = layers.BatchNormalization(name=f"{name}{k}_bn")(x)
            x = layers.ReLU(name=f"{name}{k}_relu")(x)
        return x

    inp = keras.Input((size, size, 1), name="image")
    skips, x = [], inp
    for i, w in enumerate(widths[:-1]):
        x = block(x, w, f"down{i}")
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = block(x, widths[-1], "bottom")
    for i, w in reversed(list(enumerate(widths[:-1]))):
        x = layers.UpSampling2D(2)(x)
        x = layers.Concatenate()([x, skips[i]])
        x = block(x, w, f"up{i}")
    out = layers.Conv2D(1, 1, name="lung_logit")(x)
    return keras.Model(inp, out, name="lung_unet")


def _augment(x, m, seed):
    """Geometry (flip, zoom 0.7-1.3, shift) and blur or noise; no exposure change, since the input
    is already equalised and equalisation undoes any monotone one. Wide zoom and shift, because
    each hospital frames the chest differently (Montgomery: wide fields, black bars)."""
    import tensorflow as tf

    x = tf.concat([x, m], axis=-1)
    x = tf.image.stateless_random_flip_left_right(x, seed)
    size = tf.shape(x)[0]
    scale = tf.random.stateless_uniform([], seed + 1, 0.7, 1.3)
    new = tf.cast(tf.cast(size, tf.float32) * scale, tf.int32)
    x = tf.image.resize(x, [new, new])
    pad = size + size // 4
    x = tf.image.resize_with_crop_or_pad(x, pad, pad)
    x = tf.image.stateless_random_crop(x, [size, size, 2], seed + 2)
    img, mask = x[..., :1], tf.round(x[..., 1:])
    u = tf.random.stateless_uniform([2], seed + 3)
    noise = tf.random.stateless_normal(tf.shape(img), seed + 4) * 0.1 * u[1]
    blurred = tf.nn.avg_pool2d(img[None], 3, 1, "SAME")[0]
    img = tf.where(u[0] < 0.3, img + noise, tf.where(u[0] > 0.7, blurred, img))
    return img, mask


def _dice(prob: np.ndarray, mask: np.ndarray) -> np.ndarray:
    pred = prob > 0.5
    inter = (pred & (mask > 0.5)).sum(axis=(1, 2, 3))
    return 2 * inter / np.maximum(pred.sum(axis=(1, 2, 3)) + (mask > 0.5).sum(axis=(1, 2, 3)), 1)


def _lung_kept(prob: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share of each film's true lung that ``lung_mask`` keeps (what masking must not lose)."""
    kept = []
    for p, t in zip(prob[..., 0], mask[..., 0] > 0.5):
        m = lung_mask(p, t.shape)
        whole = m is None or not t.any()  # no lungs found: the film is kept whole
        kept.append(1.0 if whole else float((t & m).sum() / t.sum()))
    return np.array(kept)


def _augment_shifted(x, m, seed):
    """The shifted copy's kinds of change, wider: geometry (rotation, zoom, shift, shear, aspect,
    flip) on film and mask together, then exposure, blur, noise and JPEG on the film alone, and the
    film equalised again. Why: in a product the segmenter meets another machine's film first.
    Measured in stop 37 (``training.mask_order --segmenter``): no better on the shifted copy than
    ``_augment``; the loose masks there came from the mirror (``lung_mask``), not the segmenter."""
    from dataclasses import replace

    import tensorflow as tf

    from training.augment import SHIFTED, _affine, augment, equalize_tf

    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    wide = replace(SHIFTED, rotate_deg=15.0, log_scale=0.35, shift=0.12)
    both = _affine(tf.concat([(x + 1.0) / 2.0, m], axis=-1), seeds[0], wide, tf.constant(False))
    both = tf.cond(tf.random.stateless_uniform([], seeds[2]) < 0.5, lambda: both[:, ::-1], lambda: both)
    flat = replace(wide, rotate_deg=0.0, log_scale=0.0, shift=0.0, shear=0.0, log_aspect=0.0)
    film = augment(both[..., :1], seeds[1], flat)
    return equalize_tf(film), tf.round(both[..., 1:])


def train(x, m, epochs: int, seed: int = 0, val=None, shift_aug: bool = False, widths=(16, 32, 64, 128)):
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = build_unet(x.shape[1], widths)

    def dice_loss(y, logits):
        p = tf.sigmoid(logits)
        inter = tf.reduce_sum(p * y, axis=(1, 2, 3))
        den = tf.reduce_sum(p + y, axis=(1, 2, 3))
        bce = tf.reduce_mean(keras.losses.binary_crossentropy(y, logits, from_logits=True), axis=(1, 2))
        return bce + 1 - (2 * inter + 1) / (den + 1)

    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=dice_loss)
    ds = tf.data.Dataset.from_tensor_slices((x, m)).shuffle(len(x), seed=seed)
    ds = ds.map(
        lambda a, b: (_augment_shifted if shift_aug else _augment)(
            a, b, tf.random.uniform([2], 0, 2**31 - 1, dtype=tf.int64)
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    cb = [keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=3)]
    model.fit(ds.batch(16).prefetch(2), epochs=epochs, verbose=2, validation_data=val, callbacks=cb)
    return model


def lung_box(prob: np.ndarray, margin: float = MARGIN, min_area: float = 0.08) -> tuple[float, ...] | None:
    """(top, left, bottom, right) as fractions of the image, or None when no lungs are found.

    The box of the pixels above 0.5, widened by ``margin``; None when they cover less than
    ``min_area`` of the image (not a chest film, or the segmenter failed: no crop then).
    """
    on = prob > 0.5
    if on.mean() < min_area:
        return None
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    h, w = on.shape
    return (
        max(0.0, rows[0] / h - margin),
        max(0.0, cols[0] / w - margin),
        min(1.0, (rows[-1] + 1) / h + margin),
        min(1.0, (cols[-1] + 1) / w + margin),
    )


class LungCropper:
    """Crops a film to its lung fields (with ``MARGIN``) before the classifier's resize.

    Used by ``training.train --lung-crop runs/lungs-*/segmenter.keras``; a film where no lungs are
    found is kept whole, so the cropper can never blank out a film."""

    def __init__(self, segmenter) -> None:
        """``segmenter``: a saved segmenter's path, or the loaded Keras model."""
        if isinstance(segmenter, (str, Path)):
            import keras

            segmenter = keras.models.load_model(segmenter, compile=False)
        self.model = segmenter
        self.size = int(self.model.input_shape[1])
        self.found = self.kept_whole = 0

    def probabilities(self, films: list[np.ndarray]) -> np.ndarray:
        """The segmenter's lung probability for each film at its own size, on the core's
        preprocessing; one call for many films (``training.background_swap``)."""
        from pneumoscan.model.preprocess import InputSpec, preprocess

        x = np.stack([preprocess(p, InputSpec(height=self.size, width=self.size)) for p in films])
        return 1 / (1 + np.exp(-np.asarray(self.model(x, training=False))[..., 0]))

    def probability(self, pixels: np.ndarray) -> np.ndarray:
        return self.probabilities([pixels])[0]

    def box(self, pixels: np.ndarray) -> tuple[float, ...] | None:
        return lung_box(self.probability(pixels))

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        b = self.box(pixels)
        if b is None:
            self.kept_whole += 1
            return pixels
        self.found += 1
        h, w = pixels.shape[:2]
        top, left, bottom, right = (
            int(b[0] * h),
            int(b[1] * w),
            int(np.ceil(b[2] * h)),
            int(np.ceil(b[3] * w)),
        )
        return pixels[top:bottom, left:right]


class LungMasker(LungCropper):
    """Blanks every film outside its lung fields (``lung_mask``), then crops to them.

    Used by ``training.train --lung-mask runs/lungs-<time>`` (or one segmenter file); a film where no lungs are
    found is kept whole."""

    def __init__(self, segmenter: str | Path, dilate: float = 0.04, mirror: str = "midline") -> None:
        super().__init__(segmenter)
        self.dilate, self.mirror = dilate, mirror

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        m = lung_mask(self.probability(pixels), pixels.shape[:2], self.dilate, self.mirror)
        if m is None:
            self.kept_whole += 1
            return pixels
        self.found += 1
        return masked(pixels, m)


MIRRORS = ("midline", "lost", "none")
LOST = 0.6  # "lost": the smaller lung under this share of the larger (1% of NLM's normal masks)


def lung_mask(
    prob: np.ndarray, shape: tuple[int, int], dilate: float = 0.04, mirror: str = "midline"
) -> np.ndarray | None:
    """The lung fields at a film's own ``shape`` (bool), or None when no lungs are found.

    Stronger than the crop: markers, the mediastinum, shoulders and the body outline go, so a
    hospital's signature there cannot reach the classifier. The segmenter's mask loses its specks,
    is united with its mirror image about the patient's midline (a lung the segmenter lost to a
    dense consolidation comes back from the other side: pneumonia must never be masked away),
    closed, its holes filled and dilated by ``dilate`` of the side. The midline is halfway between
    the two lungs where both are found: mirrored about the image's centre instead, a film shifted or
    rotated on its detector got the mediastinum and a shoulder back as lung (``training.mask_order``).
    On a rotated film even the midline's mirror misses the other lung, so ``mirror="lost"`` mirrors
    only where a lung looks lost (one found, or the smaller under ``LOST`` of the larger's area);
    ``"none"`` never does (``mask_order --mirror``).
    """
    if mirror not in MIRRORS:
        raise ValueError(f"mirror must be one of {MIRRORS}, not {mirror!r}")
    from PIL import Image
    from scipy import ndimage

    pieces = lung_pieces(prob)
    if pieces is None:
        return None
    on, labels, lungs, areas = pieces
    if mirror == "midline" or (mirror == "lost" and lost(areas)):
        on = on | mirrored(on, midline(labels, lungs))
    r = max(1, round(dilate * on.shape[0]))
    disk = np.hypot(*np.mgrid[-r : r + 1, -r : r + 1]) <= r
    on = ndimage.binary_closing(on, structure=disk)
    on = ndimage.binary_fill_holes(on)
    on = ndimage.binary_dilation(on, structure=disk)
    h, w = shape
    big = Image.fromarray(on.astype(np.uint8) * 255).resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(big) > 127


def lung_pieces(prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The segmenter's lungs without specks, or None when none are found: the pieces (bool), their
    labels, and the two largest pieces' labels and areas (largest first), for the mirror rules."""
    from scipy import ndimage

    on = prob > 0.5
    if on.mean() < 0.08:
        return None
    labels, n = ndimage.label(on)
    sizes = ndimage.sum(on, labels, range(1, n + 1))
    kept = 1 + np.flatnonzero(sizes >= 0.015 * on.size)
    on = np.isin(labels, kept)
    if on.mean() < 0.08:  # only specks: no lungs either
        return None
    lungs = kept[np.argsort(sizes[kept - 1])[::-1][:2]]
    return on, labels, lungs, sizes[lungs - 1]


def lost(areas: np.ndarray) -> bool:
    """Whether a lung looks lost, from the two largest components' ``areas`` (largest first)."""
    return len(areas) < 2 or areas[1] < LOST * areas[0]


def midline(labels: np.ndarray, lungs: np.ndarray) -> float:
    """The column halfway between the two largest components' centres (``lungs``, their labels),
    or the image's centre where only one is found (the other lost, or both joined in one)."""
    from scipy import ndimage

    if len(lungs) < 2:
        return (labels.shape[1] - 1) / 2
    centres = ndimage.center_of_mass(labels > 0, labels, lungs)
    return float(np.mean([c[1] for c in centres]))


def mirrored(on: np.ndarray, centre: float) -> np.ndarray:
    """``on`` reflected about column ``centre``; what falls outside the image is dropped."""
    src = np.round(2 * centre - np.arange(on.shape[1])).astype(int)
    ok = (src >= 0) & (src < on.shape[1])
    out = np.zeros_like(on)
    out[:, ok] = on[:, src[ok]]
    return out


def masked(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The film black outside ``mask`` (as collimated film looks), cropped to the mask's box."""
    out = np.where(mask, pixels, pixels.min())
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return out[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="Train the lung-field segmenter (LOHO Dice, then on all masks).")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--out", default="runs")
    ap.add_argument(
        "--all-only",
        action="store_true",
        help="only the segmenter on all masks (no leave-one-hospital-out Dice)",
    )
    ap.add_argument(
        "--shift-aug",
        action="store_true",
        help="train on the shifted copy's kinds of change (measured with training.mask_order: no better)",
    )
    ap.add_argument(
        "--size", type=int, default=SIZE, help="input side (64: about a quarter of the time per film)"
    )
    args = ap.parse_args(argv)
    t0 = time.time()
    x, m, hs = load_masks(Path(args.data), args.size)
    hs = np.array(hs)
    print(f"{len(x)} films with masks loaded in {time.time() - t0:.0f}s", flush=True)
    out = Path(args.out) / time.strftime("lungs-%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    for held in () if args.all_only else ("montgomery", "shenzhen"):
        tr, te = hs != held, hs == held
        model = train(x[tr], m[tr], args.epochs, shift_aug=args.shift_aug)
        prob = 1 / (1 + np.exp(-model.predict(x[te], verbose=0)))
        dice = _dice(prob, m[te])
        kept = _lung_kept(prob, m[te])
        report[held] = {
            "films": int(te.sum()),
            "dice_mean": float(dice.mean()),
            "dice_p05": float(np.percentile(dice, 5)),
            "below_0.8": int((dice < 0.8).sum()),
            "mask_keeps_lung_mean": float(kept.mean()),
            "mask_keeps_lung_p05": float(np.percentile(kept, 5)),
            "mask_keeps_below_0.95": int((kept < 0.95).sum()),
        }
        print(f"held out {held}: {report[held]}", flush=True)
        model.save(out / f"segmenter-without-{held}.keras")  # for --lung-mask leave one hospital out
    model = train(x, m, args.epochs, shift_aug=args.shift_aug)
    model.save(out / "segmenter.keras")
    if report:
        (out / "loho_dice.json").write_text(json.dumps(report, indent=2))
    print(f"done in {time.time() - t0:.0f}s; {out}", flush=True)


if __name__ == "__main__":
    main()
