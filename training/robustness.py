"""``python -m training.robustness RUN_DIR [RUN_DIR...]``: how each single image change moves the scores.

The held-out test comes from other acquisitions. This applies one change at a
time (blur, noise, compression, exposure, framing) to the validation images
and prints AUC and, at the run's high-sensitivity threshold, sensitivity and
specificity: it shows which invariance the model lacks, without the test set.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from training import metrics as M


def _affine(img, angle=0.0, scale=1.0, tx=0.0):
    h, w = img.shape[0], img.shape[1]
    a = math.radians(angle)
    cos, sin = math.cos(a) / scale, math.sin(a) / scale
    cx, cy = (w - 1) / 2, (h - 1) / 2
    t = [cos, sin, cx - cos * cx - sin * cy - tx * w, -sin, cos, cy + sin * cx - cos * cy, 0.0, 0.0]
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=img[None],
        transforms=tf.constant([t], tf.float32),
        output_shape=tf.shape(img)[:2],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return out[0]


def _blur(img, sigma):
    from training.augment import _blur as blur

    return blur(img, tf.constant(sigma, tf.float32))


def _jpeg(img, q):
    u8 = tf.image.convert_image_dtype(img, tf.uint8, saturate=True)
    return tf.image.convert_image_dtype(tf.image.adjust_jpeg_quality(u8, q), tf.float32)


PERTURBATIONS = {
    "none": lambda x: x,
    "blur 1.0": lambda x: _blur(x, 1.0),
    "blur 2.0": lambda x: _blur(x, 2.0),
    "noise 0.03": lambda x: tf.clip_by_value(
        x + tf.random.stateless_normal(tf.shape(x), [1, 2]) * 0.03, 0, 1
    ),
    "jpeg q30": lambda x: _jpeg(x, 30),
    "gamma 0.6": lambda x: tf.pow(tf.clip_by_value(x, 1e-6, 1), 0.6),
    "gamma 1.6": lambda x: tf.pow(tf.clip_by_value(x, 1e-6, 1), 1.6),
    "contrast 0.6": lambda x: (x - 0.5) * 0.6 + 0.5,
    "zoom out 0.8": lambda x: _affine(x, scale=0.8),
    "zoom in 1.2": lambda x: _affine(x, scale=1.2),
    "rotate 10": lambda x: _affine(x, angle=10),
    "shift 8%": lambda x: _affine(x, tx=0.08),
}


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    import keras

    from pneumoscan.model.preprocess import InputSpec
    from training import dataset, split
    from training.augment import equalize_tf
    from training.train import _subset, load_config

    args = argv if argv is not None else sys.argv[1:]
    run_dirs = [Path(a) for a in args]
    run_dir = run_dirs[0]
    cfg = load_config(run_dir)
    if len(run_dirs) > 1:  # an ensemble: calibration and thresholds of the converted average
        name = "ensemble-" + "+".join(r.name for r in run_dirs)
        ev = json.loads((run_dir.parent / name / "evaluation_shipped.json").read_text())
    else:
        ev = json.loads((run_dir / "evaluation.json").read_text())
    items = split.list_images(Path(cfg.data))
    _, val_items = split.split_items(items, split.load_split())
    if cfg.limit:
        val_items = _subset(val_items, cfg.limit, cfg.seed)
    x, y = dataset.load_arrays(val_items, InputSpec())
    models = [keras.models.load_model(r / "best.keras") for r in run_dirs]
    t = ev["thresholds"]["high_sensitivity"]
    print(f"{'change':<14}{'AUC':>8}{'sens':>8}{'spec':>8}{'mean p normal':>15}{'mean p pneu':>13}")
    out = {}
    for name, fn in PERTURBATIONS.items():
        imgs = np.stack([equalize_tf(fn(tf.constant(im, tf.float32) / 255.0)).numpy() for im in x])
        z = np.mean([m.predict(imgs, batch_size=64, verbose=0)[:, 0] for m in models], axis=0)
        p = M.calibrate(z, ev["temperature"], ev.get("bias", 0.0))
        r = M.at_threshold(y, p, t)
        out[name] = {"auc": M.roc_auc(y, p), **{k: r[k] for k in ("sensitivity", "specificity")}}
        print(
            f"{name:<14}{out[name]['auc']:>8.4f}{r['sensitivity']:>8.3f}{r['specificity']:>8.3f}"
            f"{p[y == 0].mean():>15.3f}{p[y == 1].mean():>13.3f}",
            flush=True,
        )
    target = (
        run_dir if len(run_dirs) == 1 else run_dir.parent / ("ensemble-" + "+".join(r.name for r in run_dirs))
    )
    (target / "robustness.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
