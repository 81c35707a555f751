"""Adversarial training's pieces that live in the training loop.

Source-adversarial (fifth recipe, ``--adversarial``): the head tells hospitals apart. Age-
adversarial (thirty-second, ``--age-adversarial``): the same head tells, within a class, how old
a Guangzhou film looks (stop 54's reader), so that the features keep the class and lose the age
that goes with it at Guangzhou. The head and its gradient reversal are in ``training.model`` (the
head keeps the name "hospital" either way: the export never reads it); the hospital targets in
``training.sources``. Here: the age targets, the evaluation sets' empty targets, and the ramp that
lets the head learn before its reversed gradient reaches the features."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from training.train import TrainConfig

RAMP = 5  # epochs over which the reversed gradient grows from 0 to --adversarial
AGE_BINS = 4  # the age head's classes: quartiles of apparent age within each class


def age_targets(
    paths: list[Path], labels: np.ndarray, csv_path: Path, n_all: int
) -> tuple[np.ndarray, np.ndarray]:
    """Quartile of apparent age within its class, and weight, for each of ``n_all`` training films;
    the first ``len(paths)`` are Guangzhou's (in the CSV), the rest (other hospitals) weigh 0.

    Quartiles within each class, not over all films: at Guangzhou pneumonia films look older, so
    bins over all films would let the head read the class, and its reversed gradient would strip
    pneumonia itself. Each class weighs the same (normal films are the fewer, and the ones whose
    age misleads elsewhere); mean weight 1 over the films that count."""
    from training import age_balance

    known = age_balance.load(csv_path)
    missing = [p for p in paths if str(Path(p).resolve()) not in known]
    if missing:
        raise SystemExit(f"--age-csv {csv_path}: no apparent age for {len(missing)} films, e.g. {missing[0]}")
    n = len(paths)
    apparent = np.array([known[str(Path(p).resolve())] for p in paths])
    y = np.asarray(labels[:n]).astype(int)
    idx = np.zeros(n_all, np.int32)
    w = np.zeros(n_all, np.float32)
    for c in np.unique(y):
        m = np.flatnonzero(y == c)
        edges = np.quantile(apparent[m], np.linspace(0, 1, AGE_BINS + 1)[1:-1])
        idx[m] = np.searchsorted(edges, apparent[m], side="right")
        w[m] = 1.0 / len(m)
    w /= w[w > 0].mean()
    return idx, w


def setup(
    cfg: TrainConfig, t_tr: dict, w_tr: dict, guangzhou: list, ytr: np.ndarray, films_by_role: dict
) -> int:
    """The adversary head's targets for training (into ``t_tr``/``w_tr``) and its class count (0: none)."""
    from training import sources

    if cfg.adversarial and cfg.age_adversarial:
        raise SystemExit("--adversarial and --age-adversarial share one head: choose one")
    if cfg.age_adversarial:
        if not cfg.age_csv:
            raise SystemExit("--age-adversarial needs --age-csv (python -m training.age_reader --out CSV)")
        t_tr["hospital"], w_tr["hospital"] = age_targets(guangzhou, ytr, Path(cfg.age_csv), len(ytr))
        return AGE_BINS
    if not cfg.adversarial:
        return 0
    if not films_by_role["train"]:
        raise SystemExit("--adversarial needs --hospitals: there is no second hospital to hide")
    films = sources.guangzhou([(p, y) for p, y in zip(guangzhou, ytr)]) + films_by_role["train"]
    t_tr["hospital"], w_tr["hospital"] = sources.adversary_targets(films)
    return len(sources.HOSPITALS)


def no_hospital_target(targets: dict, weights: dict) -> None:
    """Validation sets carry an adversary target of weight 0 (Keras wants one per output)."""
    n = len(targets["logit"])
    targets["hospital"] = np.zeros(n, np.int32)
    weights["hospital"] = np.zeros(n, np.float32)


def reversal_ramp(model, top: float):
    """Let the adversary's head learn first, then reverse its gradient into the features, growing."""
    import keras

    layer = model.get_layer("reverse")

    def begin(epoch: int, logs=None) -> None:
        layer.scale.assign(top * min(1.0, epoch / RAMP))

    return keras.callbacks.LambdaCallback(on_epoch_begin=begin)
