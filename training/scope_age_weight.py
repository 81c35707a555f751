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

from pathlib import Path

import numpy as np


def film_weights(
    paths: list[Path], labels: list[int], ages: dict[str, float], top: float, factor: float
) -> np.ndarray:
    """A weight per training film: ``factor`` for the oldest-looking ``top`` share of its class,
    1 otherwise, scaled to a mean of 1 so that the class's weight against the others is unchanged.
    ``ages``: apparent age by resolved path (``training.age_balance.load``)."""
    if not 0 < top < 1 or factor < 1:
        raise SystemExit(f"--age-top must be in (0, 1) and --age-factor >= 1 (got {top}, {factor})")
    keys = [str(Path(p).resolve()) for p in paths]
    missing = [k for k in keys if k not in ages]
    if missing:
        raise SystemExit(
            f"--age-weight: {len(missing)} training films have no apparent age, e.g. {missing[0]}"
        )
    label = np.asarray(labels)
    age = np.array([ages[k] for k in keys])
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
