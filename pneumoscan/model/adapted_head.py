"""A locally adapted head: a regularised logistic regression on the model's pooled features.

The shipped head learned one hospital; its features carry more than its head
uses (re-fitted on 155 labelled films of another hospital: AUC 0.70 out of
fold against 0.57). Here it is re-fitted on a site's own labelled films.
numpy only (it ships in the bundle); ``tests/core/model/test_adapted_head.py``
checks it against scikit-learn. The L2 strength is chosen by cross-validation
in which a patient's films stay in one fold, and every figure reported for the
head is out of fold: measured on films it was not fitted on.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np

#: L2 penalties tried (on standardised features, per film); chosen by grouped cross-validation.
PENALTIES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FOLDS = 5


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: float, iters: int = 50) -> tuple[np.ndarray, float]:
    """(weights, bias) minimising mean log-loss + penalty/2 * |w|^2 (Newton's method; bias unpenalised)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, penalty)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ theta, -30, 30)))
        grad = xb.T @ (p - y) / n + reg * theta
        hess = (xb * (p * (1 - p))[:, None]).T @ xb / n + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def group_folds(groups: np.ndarray, k: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold number per film; all films of a patient share one fold."""
    unique = np.unique(groups)
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {g: i % k for i, g in zip(order, unique)}
    return np.array([fold_of[g] for g in groups])


@dataclass(frozen=True)
class AdaptedHead:
    """Standardisation, weights and bias: p = sigmoid(((f - mean) / scale) . coef + bias)."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    bias: float
    penalty: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, penalty: float) -> AdaptedHead:
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        w, b = fit_logistic((x - mean) / scale, y, penalty)
        return cls(mean.tolist(), scale.tolist(), w.tolist(), b, penalty)

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = ((np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(
            self.coef
        )
        return 1.0 / (1.0 + np.exp(-np.clip(z + self.bias, -30, 30)))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["digest"] = hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> AdaptedHead:
        fields = {k: data[k] for k in ("mean", "scale", "coef", "bias", "penalty")}
        head = cls(**fields)
        if head.to_dict()["digest"] != data.get("digest"):
            raise ValueError("the adapted head's digest does not match its weights (edited or damaged)")
        if not (len(head.mean) == len(head.scale) == len(head.coef)):
            raise ValueError("the adapted head's weights have different lengths")
        return head


def cross_validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, np.ndarray]:
    """(chosen penalty, out-of-fold probabilities with it): the penalty with the lowest grouped-CV log-loss."""
    folds = group_folds(groups)
    best, best_loss, best_oof = PENALTIES[0], np.inf, None
    for penalty in PENALTIES:
        oof = np.empty(len(y))
        for k in np.unique(folds):
            train, test = folds != k, folds == k
            if len(np.unique(y[train])) < 2:
                oof[test] = y[train].mean()
                continue
            oof[test] = AdaptedHead.fit(x[train], y[train], penalty).predict(x[test])
        p = np.clip(oof, 1e-6, 1 - 1e-6)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        if loss < best_loss:
            best, best_loss, best_oof = penalty, loss, oof
    return best, best_oof
