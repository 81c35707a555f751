"""``python -m training.adabn_eval RUN...``: does re-estimating BatchNorm on a new site's unread films help?

A network's BatchNorm layers hold the mean and spread of each channel over the films it trained on,
mostly Guangzhou's. At another hospital the channels sit elsewhere and every later layer, the head
and its threshold included, reads shifted numbers. AdaBN (Li et al., 2016, "Revisiting batch
normalization for practical domain adaptation") re-estimates those statistics on the new site's
own films, no labels needed: a site has unread films from its first day, while read ones
(``validate --adapt``) cost a radiologist's time.

Measured here on leave-one-hospital-out runs: the held-out hospital's films are split at random in
two halves; the statistics are re-estimated on the first half (labels unused) and the model judged
on the second, against the unchanged model on the same films. The threshold is the shipped
default's rule (sensitivity 0.98 on Guangzhou's validation films), once from the unchanged model
("as trained") and once with Guangzhou's validation films normalised by their own statistics too
("each site its own statistics", the consistent way to use AdaBN). Statistics are re-estimated
exactly, layer by layer in network order, each layer after the ones before it have been adapted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

BATCH = 64


def adapt(model, x: np.ndarray) -> None:
    """Set every BatchNorm layer's moving mean and variance to those of its input over ``x``."""
    import keras

    from training.weight_average import batchnorm_layers

    for layer in batchnorm_layers(model):
        probe = keras.Model(model.input, layer.input)
        total = total_sq = 0.0
        count = 0
        for i in range(0, len(x), BATCH):
            a = np.asarray(probe(x[i : i + BATCH], training=False), dtype=np.float64)
            a = a.reshape(-1, a.shape[-1])
            total = total + a.sum(axis=0)
            total_sq = total_sq + (a * a).sum(axis=0)
            count += len(a)
        mean = total / count
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(np.maximum(total_sq / count - mean * mean, 0.0).astype(np.float32))


def halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random split of ``range(n)`` in two: statistics from the first, judgement on the second."""
    idx = np.arange(n)
    np.random.default_rng(seed).shuffle(idx)
    return np.sort(idx[: n // 2]), np.sort(idx[n // 2 :])


def evaluate(run: Path, data: Path, seed: int = 0) -> str:
    """Tables for the unchanged model and the adapted one on the held-out half."""
    import keras

    from pneumoscan.model.preprocess import InputSpec
    from training import dataset, metrics, sources
    from training.evaluate import SCREENING_TARGET
    from training.hospital_eval import table
    from training.model import head_logits as logits  # also registers the custom layers for loading
    from training.predict_run import require_run
    from training.train import load_config, split_for

    require_run(run)
    cfg = load_config(run)
    held = cfg.hold_out_hospital
    if not held:
        raise SystemExit(f"{run} held no hospital out: AdaBN needs a hospital the run never saw")
    _, val_items, _ = split_for(cfg)
    films = sources.other_hospitals(data, [held])
    spec = InputSpec()
    xg, yg = dataset.load_arrays(list(val_items), spec)
    xh, _ = dataset.load_arrays([(f.path, f.label) for f in films], spec)
    xg, xh = dataset.model_tensors(xg), dataset.model_tensors(xh)
    fit_idx, judge_idx = halves(len(films), seed)
    judged = [films[i] for i in judge_idx]

    def rows(scores: np.ndarray) -> list[dict]:
        return [
            {
                "hospital": f"{held} (held out, second half)",
                "child": f.child,
                "label": f.label,
                "score": float(s),
            }
            for f, s in zip(judged, scores)
        ]

    def rule(scores: np.ndarray) -> float:
        return float(metrics.threshold_for_sensitivity(yg, scores, SCREENING_TARGET))

    model = keras.models.load_model(run / "best.keras")
    gz_plain, site_plain = logits(model, xg), logits(model, xh[judge_idx])
    adapt(model, xh[fit_idx])
    site_adapted = logits(model, xh[judge_idx])
    model = keras.models.load_model(run / "best.keras")
    adapt(model, xg)
    gz_own = logits(model, xg)
    return "\n".join(
        [
            table(rows(site_plain), rule(gz_plain), f"as trained, {held} held out"),
            table(
                rows(site_adapted),
                rule(gz_plain),
                f"AdaBN on {len(fit_idx)} unread {held} films, the trained rule",
            ),
            table(
                rows(site_adapted),
                rule(gz_own),
                f"AdaBN on {len(fit_idx)} unread {held} films, Guangzhou's rule on its own statistics",
            ),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, nargs="+", help="leave-one-hospital-out run folders (with best.keras)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--seed", type=int, default=0, help="the random split of the held-out films")
    args = ap.parse_args(argv)
    for run in args.run:
        print(f"## {run}\n")
        print(evaluate(run, args.data, args.seed), flush=True)


if __name__ == "__main__":
    main()
