"""Guangzhou's classes weighed alike at each apparent age (issue 18 item 3; stop 54).

Why: a reader of age trained on Shenzhen's normal films only (``training.age_reader``; it never
saw a pneumonia label or a Guangzhou film) reads Guangzhou's pneumonia films as much older than
its normal ones, so well that apparent age alone tells the classes apart. A model trained on
those films can learn "looks older" as "pneumonia", and every older-looking normal chest at
another hospital (schoolchildren, adults) then scores high. With ``--age-balance CSV`` each
Guangzhou training film's loss weight is multiplied by p(bin) / p(bin | its class), the bins
being quantiles of apparent age, so that under the weights both classes have the same
apparent-age distribution and age no longer predicts the label there. Each class keeps its total
weight; factors are capped so that a handful of films cannot carry a class.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def load(path: Path) -> dict[str, float]:
    """Apparent age by resolved film path, from ``training.age_reader --out``."""
    if not Path(path).is_file():
        raise SystemExit(f"{path}: no such file (write it with python -m training.age_reader --out {path})")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(fh)
        if not {"path", "apparent_age"} <= set(rows.fieldnames or ()):
            raise SystemExit(f"{path}: not an age_reader file (it needs the columns path and apparent_age)")
        try:
            return {str(Path(r["path"]).resolve()): float(r["apparent_age"]) for r in rows}
        except ValueError as e:
            raise SystemExit(f"{path}: an apparent age that is not a number ({e})") from None


def factors(labels: np.ndarray, apparent: np.ndarray, bins: int = 10, cap: float = 10.0) -> np.ndarray:
    """Per-film weight factor p(bin) / p(bin | class), capped at ``cap`` and rescaled so each
    class's factors average 1 (its total weight unchanged)."""
    labels = np.asarray(labels).astype(int)
    edges = np.quantile(apparent, np.linspace(0, 1, bins + 1)[1:-1])
    b = np.searchsorted(edges, apparent, side="right")
    p_bin = np.bincount(b, minlength=bins) / len(b)
    out = np.empty(len(labels))
    for c in np.unique(labels):
        m = labels == c
        p_bin_c = np.bincount(b[m], minlength=bins) / m.sum()
        f = np.minimum(p_bin[b[m]] / p_bin_c[b[m]], cap)
        out[m] = f / f.mean()
    return out


def weighted_auc(labels: np.ndarray, apparent: np.ndarray, weights: np.ndarray | None = None) -> float:
    """How well apparent age alone tells the classes apart under the given weights (0.5: not at all)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, apparent, sample_weight=weights))


def apply(
    weights: np.ndarray, paths: list[Path], labels: np.ndarray, csv_path: Path, bins: int = 10
) -> np.ndarray:
    """``weights`` with the first ``len(paths)`` films (Guangzhou's) re-weighed by apparent age;
    every other film's weight as it was. A Guangzhou film missing from the CSV is an error: the
    balance would silently not hold."""
    known = load(csv_path)
    missing = [p for p in paths if str(Path(p).resolve()) not in known]
    if missing:
        raise SystemExit(
            f"--age-balance {csv_path}: no apparent age for {len(missing)} films, e.g. {missing[0]}"
        )
    n = len(paths)
    apparent = np.array([known[str(Path(p).resolve())] for p in paths])
    y = np.asarray(labels[:n]).astype(int)
    f = factors(y, apparent, bins)
    print(
        f"age balance: apparent age tells Guangzhou's classes apart at AUC {weighted_auc(y, apparent):.3f}, "
        f"under the weights {weighted_auc(y, apparent, f):.3f}; largest factor {f.max():.1f}",
        flush=True,
    )
    out = np.array(weights, dtype=np.float32, copy=True)
    out[:n] *= f.astype(np.float32)
    return out
