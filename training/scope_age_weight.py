"""Older-looking children weighed up in the scope gates' "in scope" class (stop 57).

Why: the gates refuse about 3% of a Guangzhou batch they never saw (stop 30), and the films they
refuse look like older children's, at the top of apparent age (stop 55). "In scope" was learned
from Guangzhou's training films, nearly all of them young children, so an older child's chest
sits nearer the gate's "adult" than anything it was taught to accept. The oldest-looking share
of each class (by stop 54's reader of age, which never saw a Guangzhou label) is weighed up, so
that the gate learns an older child as in scope; whether adults are then let through is what the
comparison measures (``training.scope_age_eval``).

Within a class, not over all films: Guangzhou's pneumonia films look older than its normal ones,
so the top share over all films would be nearly all pneumonia films, and the batch the gate fails
on is of normal films.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def film_key(path: str | Path) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.name}"


def apparent_ages(csv_path: Path) -> dict[str, tuple[int, float]]:
    """Label and apparent age of each film in a reader's CSV (``training.age_reader``), by class
    folder and file name."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return {film_key(r["path"]): (int(r["label"]), float(r["apparent_age"])) for r in rows}
    except (OSError, KeyError, ValueError) as exc:
        raise SystemExit(f"--age-weight: cannot read apparent ages from {csv_path}: {exc}") from exc


def film_weights(
    paths: list[Path], ages: dict[str, tuple[int, float]], top: float, factor: float
) -> np.ndarray:
    """A weight per training film: ``factor`` for the oldest-looking ``top`` share of its class,
    1 otherwise, scaled to a mean of 1 so that the class's weight against the others is unchanged."""
    if not 0 < top < 1 or factor < 1:
        raise SystemExit(f"--age-top must be in (0, 1) and --age-factor >= 1 (got {top}, {factor})")
    missing = [str(p) for p in paths if film_key(p) not in ages]
    if missing:
        raise SystemExit(
            f"--age-weight: {len(missing)} training films have no apparent age, e.g. {missing[0]}"
        )
    label = np.array([ages[film_key(p)][0] for p in paths])
    age = np.array([ages[film_key(p)][1] for p in paths])
    w = np.ones(len(paths))
    for cls in np.unique(label):
        idx = np.flatnonzero(label == cls)
        cut = np.quantile(age[idx], 1 - top)
        w[idx[age[idx] >= cut]] = factor
    return w / w.mean()


def row_weights(film_w: np.ndarray, copies: int, n_rows: int) -> np.ndarray:
    """Weights for a gate training set whose first rows are the films, then ``copies`` augmented
    copies of each in order (``train_scope.training_set``); every later row weighs 1."""
    head = np.concatenate([film_w, np.repeat(film_w, copies)])
    if len(head) > n_rows:
        raise ValueError(f"{len(head)} film rows but only {n_rows} training rows")
    return np.concatenate([head, np.ones(n_rows - len(head))])
