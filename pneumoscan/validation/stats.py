"""Small, vectorised statistics for site validation (no SciPy in the app; tests compare with SciPy).

- exact (Clopper-Pearson) binomial intervals, by bisection on the binomial tail;
- AUC (Mann-Whitney, ties half) and ROC points;
- thresholds: for a target sensitivity (the rule the shipped thresholds use), its patient-level
  bootstrap distribution, the Neyman-Pearson order-statistic threshold that guarantees the target
  with a stated confidence, and Youden's J.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def _log_pmf(n: int, p: float) -> np.ndarray:
    i = np.arange(n + 1)
    with np.errstate(divide="ignore"):
        lp, lq = (math.log(p) if p > 0 else -np.inf), (math.log1p(-p) if p < 1 else -np.inf)
    logfact = np.r_[0.0, np.cumsum(np.log(np.arange(1, n + 1)))]
    comb = logfact[n] - logfact - logfact[::-1]
    with np.errstate(invalid="ignore"):
        out = comb + np.where(i > 0, i * lp, 0.0) + np.where(n - i > 0, (n - i) * lq, 0.0)
    return out


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return float(np.exp(_log_pmf(n, p)[: k + 1]).sum())


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k)."""
    return 1.0 - binom_cdf(k - 1, n, p)


def _bisect(f: Callable[[float], float], target: float, increasing: bool) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if (f(mid) < target) == increasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact two-sided interval for a proportion k/n."""
    if n <= 0:
        return (float("nan"), float("nan"))
    alpha = 1.0 - conf
    lo = 0.0 if k == 0 else _bisect(lambda p: binom_sf(k, n, p), alpha / 2, increasing=True)
    hi = 1.0 if k == n else _bisect(lambda p: binom_cdf(k, n, p), alpha / 2, increasing=False)
    return (lo, hi)


def average_ranks(s: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half (equals scikit-learn's ``roc_auc_score``)."""
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = average_ranks(np.asarray(s, dtype=np.float64))
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def roc_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates for every distinct threshold (score >= t is positive)."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(-np.asarray(s, dtype=np.float64), kind="mergesort")
    s_sorted, y_sorted = np.asarray(s)[order], y[order]
    last = np.r_[np.diff(s_sorted) != 0, True]
    tp, fp = np.cumsum(y_sorted)[last], np.cumsum(~y_sorted)[last]
    return np.r_[0.0, fp / max(1, (~y).sum())], np.r_[0.0, tp / max(1, y.sum())]


def at_threshold(y: np.ndarray, p: np.ndarray, t: float, conf: float = 0.95) -> dict:
    """Confusion matrix, sensitivity, specificity, PPV and NPV with exact intervals."""
    y = np.asarray(y).astype(bool)
    pred = np.asarray(p) >= t
    tp, fn = int((pred & y).sum()), int((~pred & y).sum())
    tn, fp = int((~pred & ~y).sum()), int((pred & ~y).sum())

    def rate(k: int, n: int) -> dict:
        lo, hi = clopper_pearson(k, n, conf)
        return {"value": k / n if n else float("nan"), "ci95": [lo, hi], "k": k, "n": n}

    return {
        "threshold": float(t),
        "confusion": {"tp": tp, "fn": fn, "tn": tn, "fp": fp},
        "sensitivity": rate(tp, tp + fn),
        "specificity": rate(tn, tn + fp),
        "ppv": rate(tp, tp + fp),
        "npv": rate(tn, tn + fn),
    }


def sensitivity_threshold(pos_scores: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity on these positives is at least ``target``."""
    s = np.sort(np.asarray(pos_scores, dtype=np.float64))
    misses = int(math.floor(len(s) * (1.0 - target) + 1e-9))
    return float(s[min(misses, len(s) - 1)])


def youden_threshold(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    cands = np.unique(p)
    pos, neg = np.sort(p[y]), np.sort(p[~y])
    sens = 1.0 - np.searchsorted(pos, cands, side="left") / max(1, len(pos))
    spec = np.searchsorted(neg, cands, side="left") / max(1, len(neg))
    return float(cands[int(np.argmax(sens + spec - 1.0))])


def patient_bootstrap(
    groups: np.ndarray, fn: Callable[[np.ndarray], float], n_boot: int = 2000, seed: int = 0
) -> np.ndarray:
    """``fn(indices)`` over resamples of whole patients (images of one patient stay together)."""
    import random  # the standard library's: numpy.random is left out of the installable folder

    rng = random.Random(seed)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    out = np.empty(n_boot)
    patients = range(len(uniq))
    for b in range(n_boot):
        pick = rng.choices(patients, k=len(uniq))
        out[b] = fn(np.concatenate([members[g] for g in pick]))
    return out


def positives_needed(target: float, conf: float = 0.95) -> int:
    """Fewest positives for which 'no miss' proves sensitivity >= target with this confidence (299 for 0.99)."""
    return int(math.ceil(math.log(1.0 - conf) / math.log(target)))


def guaranteed_threshold(pos_scores: np.ndarray, target: float, conf: float = 0.95) -> dict:
    """Neyman-Pearson order statistic: threshold at the (j+1)-th lowest positive score, with j the
    most misses for which P(population sensitivity >= target) >= conf, i.e.
    P(Binomial(n, 1 - target) >= j + 1) >= conf. ``threshold`` is None when n is too small."""
    s = np.sort(np.asarray(pos_scores, dtype=np.float64))
    n = len(s)
    if n == 0:
        j = -1
    else:
        pmf = np.exp(_log_pmf(n, 1.0 - target))
        sf = 1.0 - np.r_[0.0, np.cumsum(pmf)][:-1]  # sf[k] = P(X >= k), k = 0..n
        ok_j = np.flatnonzero(sf[1:] >= conf)  # j such that P(X >= j + 1) >= conf
        j = int(ok_j.max()) if len(ok_j) else -1
    ok = j >= 0
    return {
        "threshold": float(s[j]) if ok else None,
        "misses_allowed_below": j if ok else None,
        "positives": n,
        "positives_needed_with_no_miss": positives_needed(target, conf),
        "confidence": conf,
    }


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    counts = np.bincount(idx, minlength=bins)
    mean_p = np.bincount(idx, weights=p, minlength=bins) / np.maximum(counts, 1)
    observed = np.bincount(idx, weights=y, minlength=bins) / np.maximum(counts, 1)
    keep = counts > 0
    return {
        "predicted": mean_p[keep].tolist(),
        "observed": observed[keep].tolist(),
        "count": counts[keep].tolist(),
    }
