"""``python -m training.aspect_probe RUN...``: does a model read a film's proportions as its class?

Guangzhou's pneumonia originals are wider than its normal ones, so squashed to a square their
chests look narrower (``training.aspect_debias``). This probe changes the proportions of the run's
own Guangzhou validation films and reads the trained head's logit: every film narrowed by the
class gap (a normal film to a pneumonia film's proportions) and widened by it (a pneumonia film to
a normal film's). A model that learned the cue moves its scores towards pneumonia when a film is
narrowed and towards normal when it is widened, whatever the film shows; one that did not barely
moves them. The change is the training augmentation's own affine map (edges replicated, nothing
else random); figures are medians of per-film logit changes and the AUC of the films as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

GAP = 0.218  # log width/height, pneumonia minus normal originals (python -m training.aspect_debias)
KEYS = ("normal narrowed", "normal widened", "pneumonia narrowed", "pneumonia widened")


def _reshaped(x: np.ndarray, log_ratio: float) -> np.ndarray:
    """uint8 films -> model inputs with the width/height ratio changed by ``exp(log_ratio)``."""
    import tensorflow as tf

    from training.augment import STILL, augment, equalize_tf

    seed = tf.constant([0, 0], tf.int64)
    out = [
        equalize_tf(augment(tf.constant(img, tf.float32) / 255.0, seed, STILL, log_ratio / 2)).numpy()
        for img in x
    ]
    return np.stack(out)


def probe(run: Path, gap: float = GAP) -> dict[str, float]:
    """Median logit change per (class, change) on the run's validation films, and their AUC."""
    import keras
    from sklearn.metrics import roc_auc_score

    from pneumoscan.model.preprocess import InputSpec
    from training import dataset
    from training.model import head_logits  # also registers the custom layers for loading
    from training.train import load_config, split_for

    _, val_items, _ = split_for(load_config(run))
    x, y = dataset.load_arrays(val_items, InputSpec())
    model = keras.models.load_model(run / "best.keras")

    def logits(log_ratio: float) -> np.ndarray:
        return head_logits(model, _reshaped(x, log_ratio))

    base, narrow, wide = logits(0.0), logits(-gap), logits(gap)
    n, p = y == 0, y == 1
    return {
        "auc": float(roc_auc_score(y, base)),
        "normal narrowed": float(np.median(narrow[n] - base[n])),
        "normal widened": float(np.median(wide[n] - base[n])),
        "pneumonia narrowed": float(np.median(narrow[p] - base[p])),
        "pneumonia widened": float(np.median(wide[p] - base[p])),
    }


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "run", type=Path, nargs="+", help="training run folders (with best.keras and config.json)"
    )
    ap.add_argument("--gap", type=float, default=GAP)
    args = ap.parse_args(argv)
    print(f"median logit change on Guangzhou validation, proportions changed by exp(+-{args.gap:g})\n")
    print("| run | AUC as they are | " + " | ".join(KEYS) + " |")
    print("| --- " * (len(KEYS) + 2) + "|")
    for run in args.run:
        r = probe(run, args.gap)
        print(f"| {run} | {r['auc']:.4f} | " + " | ".join(f"{r[k]:+.2f}" for k in KEYS) + " |", flush=True)


if __name__ == "__main__":
    main()
