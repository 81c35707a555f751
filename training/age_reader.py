"""How old a chest looks: a reader of age learned from Shenzhen's ages, read on Guangzhou's films.

Why: every run that left Shenzhen out scores an adult higher the older the patient, in normal and
tuberculosis films alike, and the slope is there with no adult film in training at all, so it is
learned from Guangzhou's children (stop 53, ``training.age_probe``). Guangzhou gives no ages. A
network that never sees a pneumonia label, trained only to tell how old a normal chest is (from
Shenzhen's normal films, ages 1-89), can say whether Guangzhou's pneumonia films *look* older than
its normal ones; if they do, apparent age is a cue a pneumonia model can take from Guangzhou, and
one that sends every older-looking normal chest elsewhere (another hospital's schoolchildren,
any adult) towards "pneumonia".

Out-of-fold figures on Shenzhen say how well age is read at all; the Guangzhou figures come from
a reader fitted on all of Shenzhen's chosen films. ``--all-labels`` adds the tuberculosis films
(more films, but a disease sign can then read as age, since the tuberculosis patients are older).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import mean_absolute_error, roc_auc_score

WIDTHS = (16, 32, 64, 128)


def shenzhen(data: Path, all_labels: bool = False) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Shenzhen's films with an age: paths, ages, labels (1 = tuberculosis); normal films only
    unless ``all_labels``."""
    root = data / "other_hospitals"
    paths, ages, labels = [], [], []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            a = row.get("age", "").strip()
            if row["hospital"] != "shenzhen" or not a.replace(".", "", 1).isdigit():
                continue
            y = int(row["label"] != "normal")
            if y and not all_labels:
                continue
            paths.append(root / row["path"])
            ages.append(float(a))
            labels.append(y)
    return paths, np.array(ages), np.array(labels)


def build_reader(size: int):
    """A small CNN with one linear output (age in standard units); the input is the pneumonia
    model's own (equalised, ``size`` square), pooled to half for speed."""
    import keras
    from keras import layers

    from training.model import conv_bn_relu

    inp = keras.Input((size, size, 1))
    x = layers.AveragePooling2D(2)(inp)
    for i, w in enumerate(WIDTHS):
        x = conv_bn_relu(x, w, stride=2, name=f"a{i}a")
        x = conv_bn_relu(x, w, name=f"a{i}b")
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    return keras.Model(inp, layers.Dense(1)(x))


def fit(x: np.ndarray, age: np.ndarray, epochs: int, seed: int):
    """A reader trained on uint8 films ``x`` with the pneumonia model's augmentation; returns
    (model, mean, sd) so that ``read`` gives years."""
    import keras
    import tensorflow as tf

    from training.augment import TRAIN, augment, equalize_tf

    keras.utils.set_random_seed(seed)
    mean, sd = float(age.mean()), float(age.std())
    z = ((age - mean) / sd).astype(np.float32)

    def look(img, target):
        s = tf.random.uniform([2], 0, 2**31 - 1, dtype=tf.int64)
        return equalize_tf(augment(tf.cast(img, tf.float32) / 255.0, s, TRAIN)), target

    ds = tf.data.Dataset.from_tensor_slices((x, z)).shuffle(len(x), seed=seed)
    ds = ds.map(look, num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(tf.data.AUTOTUNE)
    model = build_reader(x.shape[1])
    sched = keras.optimizers.schedules.CosineDecay(1e-3, epochs * int(np.ceil(len(x) / 32)))
    model.compile(optimizer=keras.optimizers.AdamW(sched, weight_decay=1e-4), loss=keras.losses.Huber())
    model.fit(ds, epochs=epochs, verbose=0)
    return model, mean, sd


def read(reader, x: np.ndarray) -> np.ndarray:
    """Apparent age in years of each uint8 film."""
    from training.dataset import eval_dataset

    model, mean, sd = reader
    return model.predict(eval_dataset(x, batch=64), verbose=0)[:, 0] * sd + mean


def out_of_fold(x: np.ndarray, age: np.ndarray, folds: int, epochs: int, seed: int) -> np.ndarray:
    """Each film's apparent age from a reader that never saw it (folds stratified by age order)."""
    order = np.argsort(age, kind="stable")
    fold = np.empty(len(age), dtype=int)
    fold[order] = np.arange(len(age)) % folds
    pred = np.empty(len(age))
    for k in range(folds):
        test = fold == k
        pred[test] = read(fit(x[~test], age[~test], epochs, seed + k), x[test])
    return pred


def reading_figures(age: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """How well age is read: Spearman, mean absolute error, and children (< 18) against adults."""
    child = age < 18
    return {
        "spearman": float(spearmanr(age, pred)[0]),
        "mae": float(mean_absolute_error(age, pred)),
        "child_auc": float(roc_auc_score(child, -pred)) if 0 < child.sum() < len(age) else float("nan"),
    }


def class_gap(y: np.ndarray, pred: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Apparent age by class: medians, and the AUC of apparent age alone for pneumonia (1) against
    normal (0), with the project's 95% stratified bootstrap interval (0.5: the classes look the
    same age)."""
    from training.hospital_eval import auc_ci

    auc, lo, hi = auc_ci(y, pred, seed)
    return {
        "median_pneumonia": float(np.median(pred[y == 1])),
        "median_normal": float(np.median(pred[y == 0])),
        "auc": auc,
        "lo": lo,
        "hi": hi,
    }


def widened(x: np.ndarray, gap: float) -> np.ndarray:
    """uint8 films widened by ``exp(gap)`` against their height, edges replicated, nothing else
    changed: the pneumonia originals are wider than the normal ones (``training.aspect_debias``), so
    squashed their chests are narrower; widened by the gap they have the normal films' proportions."""
    import tensorflow as tf

    from training.augment import TRAIN, augment

    still = replace(
        TRAIN,
        rotate_deg=0,
        log_scale=0,
        shift=0,
        shear=0,
        log_aspect=0,
        gamma=0,
        contrast=0,
        p_blur=0,
        p_noise=0,
        p_jpeg=0,
        p_edge_fill=1.0,
    )
    out = np.empty_like(x)
    for i in range(len(x)):
        unit = tf.cast(x[i], tf.float32) / 255.0
        img = augment(unit, tf.constant([0, i], tf.int64), still, gap / 2.0).numpy()
        out[i] = np.clip(np.floor(img * 255.0 + 0.5), 0, 255).astype(np.uint8)
    return out


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.model.preprocess import InputSpec
    from training import split
    from training.dataset import load_arrays

    ap = argparse.ArgumentParser(description="Apparent age learned from Shenzhen, read on Guangzhou.")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--all-labels", action="store_true", help="train on tuberculosis films as well")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--folds", type=int, default=5, help="0: no out-of-fold reading figures")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=int, default=0, help="at most this many films of each set (smoke)")
    ap.add_argument("--widen", type=float, default=0.0, help="also read every film widened by exp(this)")
    ap.add_argument("--out", type=Path, help="write each Guangzhou film's apparent age here (CSV)")
    args = ap.parse_args(argv)

    spec = InputSpec()
    paths, age, tb = shenzhen(args.data, args.all_labels)
    if args.limit:
        paths, age, tb = paths[: args.limit], age[: args.limit], tb[: args.limit]
    if args.folds == 1 or args.folds < 0 or len(paths) < max(args.folds * 2, 2):
        raise SystemExit(
            f"{len(paths)} Shenzhen films with an age, --folds {args.folds}: too few films or folds"
        )
    x, _ = load_arrays([(p, 0) for p in paths], spec)
    print(f"Shenzhen: {len(x)} films ({int(tb.sum())} tuberculosis), ages {age.min():.0f}-{age.max():.0f}")
    if args.folds:
        pred = out_of_fold(x, age, args.folds, args.epochs, args.seed)
        f = reading_figures(age, pred)
        print(
            f"out of fold: Spearman {f['spearman']:.3f}, mean absolute error {f['mae']:.1f} years, "
            f"children (<18, {int((age < 18).sum())}) read younger than adults at AUC {f['child_auc']:.3f}"
        )
    reader = fit(x, age, args.epochs, args.seed)
    items = split.list_images(args.data / "chest_xray" / "train")
    if args.limit:
        items = items[: args.limit // 2] + items[-args.limit // 2 :]
    xg, yg = load_arrays(items, spec)
    gz = read(reader, xg)
    g = class_gap(yg, gz, args.seed)
    print(
        f"Guangzhou ({len(items)} films): apparent age median pneumonia {g['median_pneumonia']:.1f}, "
        f"normal {g['median_normal']:.1f}; apparent age alone tells pneumonia at AUC {g['auc']:.3f} "
        f"({g['lo']:.3f}-{g['hi']:.3f})"
    )
    if args.widen:
        wide = read(reader, widened(xg, args.widen))
        for name, c in (("normal", 0), ("pneumonia", 1)):
            print(f"  widened by exp({args.widen}): {name} median {np.median(wide[yg == c]):.1f}")
        mixed = np.where(yg == 1, wide, gz)
        g = class_gap(yg, mixed, args.seed)
        print(
            f"  pneumonia widened, normal as they are: apparent age tells pneumonia at AUC {g['auc']:.3f} "
            f"({g['lo']:.3f}-{g['hi']:.3f})"
        )
    sub = np.array([split.subtype_label(p.name) for p, _ in items])
    for name, v in (("bacterial", 0.0), ("viral", 1.0)):
        print(f"  {name}: median {np.median(gz[sub == v]):.1f} ({int((sub == v).sum())} films)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "label", "apparent_age"])
            w.writerows((str(p), int(y), f"{a:.2f}") for (p, y), a in zip(items, gz))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
