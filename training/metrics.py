"""Binary screening metrics in plain numpy (shared by evaluation, conversion and tests)."""

from __future__ import annotations

import numpy as np


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg)))


def roc_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rate, true-positive rate and thresholds (score >= t is positive)."""
    y = np.asarray(y).astype(bool)
    thresholds = np.unique(s)[::-1]
    tpr = np.array([(s[y] >= t).mean() for t in thresholds])
    fpr = np.array([(s[~y] >= t).mean() for t in thresholds])
    return np.r_[0.0, fpr], np.r_[0.0, tpr], np.r_[np.inf, thresholds]


def at_threshold(y: np.ndarray, p: np.ndarray, t: float) -> dict:
    y = np.asarray(y).astype(bool)
    pred = np.asarray(p) >= t
    tp, fn = int((pred & y).sum()), int((~pred & y).sum())
    tn, fp = int((~pred & ~y).sum()), int((pred & ~y).sum())
    sens = tp / max(tp + fn, 1)
    spec = tn / max(tn + fp, 1)
    prec = tp / max(tp + fp, 1)
    f1 = 2 * prec * sens / max(prec + sens, 1e-12)
    return {
        "threshold": float(t),
        "accuracy": (tp + tn) / max(len(y), 1),
        "sensitivity": sens,
        "specificity": spec,
        "precision": prec,
        "f1": f1,
        "confusion": {"tp": tp, "fn": fn, "tn": tn, "fp": fp},
    }


def threshold_for_sensitivity(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity is at least ``target``."""
    pos = np.sort(np.asarray(p)[np.asarray(y).astype(bool)])
    k = int(np.floor((1.0 - target) * len(pos) + 1e-9))  # positives we may miss
    return float(pos[min(k, len(pos) - 1)])


def youden_threshold(y: np.ndarray, p: np.ndarray) -> float:
    fpr, tpr, thr = roc_curve(y, p)
    j = tpr - fpr
    return float(thr[1:][int(np.argmax(j[1:]))])


def ece(y: np.ndarray, p: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error with equal-width bins."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(total)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def fit_calibration(y: np.ndarray, logits: np.ndarray) -> tuple[float, float]:
    """Temperature and bias minimising validation NLL: p = sigmoid(z / T + b).

    Class weights train the model as if both classes were equally common, which
    shifts every logit; a temperature alone cannot undo a shift, so a bias term
    is fitted with it (Platt scaling). Newton's method on two parameters.
    """
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(logits, dtype=np.float64)
    x = np.stack([z, np.ones_like(z)], axis=1)

    def nll(w: np.ndarray) -> float:
        m = x @ w
        return float(np.mean(np.logaddexp(0, m) - y * m))

    w = np.array([1.0, 0.0])
    for _ in range(100):
        p = sigmoid(x @ w)
        grad = x.T @ (p - y) / len(y)
        hess = (x * (p * (1 - p))[:, None]).T @ x / len(y) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        t, before = 1.0, nll(w)
        while nll(w - t * step) > before and t > 1e-6:  # backtracking keeps Newton stable
            t /= 2
        w = w - t * step
        if np.abs(t * step).max() < 1e-10:
            break
    if w[0] <= 0:  # a reversed ranking would be nonsense; keep identity
        return 1.0, 0.0
    return float(1.0 / w[0]), float(w[1])


def calibrate(logits: np.ndarray, temperature: float, bias: float) -> np.ndarray:
    return sigmoid(np.asarray(logits, dtype=np.float64) / temperature + bias)
