"""``validate --adapt``: fit a site's adapted head and put its out-of-fold figures beside the shipped head's.

Both heads are judged on the same films: the threshold for the target sensitivity read off the
films' scores (out of fold, and with a tolerance for the tail, for the adapted head), then sensitivity
and specificity there with exact intervals, and AUC with a patient bootstrap interval. The
adapted head is "better" only when, at the target, its specificity is higher and its sensitivity
not lower, and its AUC is not lower beyond noise (``AUC_NOISE``); only then may ``--adopt`` store it.
"""

from __future__ import annotations

import numpy as np

from pneumoscan.model.adapted_head import AdaptedHead, cross_validate
from pneumoscan.validation import stats as S

#: AUC differences smaller than this are noise at a site's film counts (the bootstrap intervals of
#: 500 films are about 0.01 wide even at AUC 0.99); the operating point decides.
AUC_NOISE = 0.005


def _auc(y: np.ndarray, s: np.ndarray, groups: np.ndarray, n_boot: int, seed: int) -> dict:
    boot = S.patient_bootstrap(groups, lambda idx: S.roc_auc(y[idx], s[idx]), n_boot, seed)
    boot = boot[np.isfinite(boot)]
    return {
        "value": S.roc_auc(y, s),
        "ci95": [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))],
    }


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def robust_threshold(y: np.ndarray, scores: np.ndarray, target: float) -> float:
    """A threshold for the target sensitivity on out-of-fold scores that a few dozen films can trust.

    The empirical threshold (the lowest positive scores the sample happens to hold) is lowered to
    the lower of: the middle (in logits) of the gap down to the next normal film, which costs
    these films no specificity; and a normal tolerance on the positives' logits (mean - z * sd),
    which extrapolates the tail the sample cannot show. A fitted head puts well-separated films
    near 1, where the empirical threshold alone missed 2 of 30 new pneumonias in the end-to-end
    test (``tests/core/validation/test_site_adaptation.py``)."""
    from statistics import NormalDist

    pos, neg = scores[y == 1], scores[y == 0]
    empirical = S.sensitivity_threshold(pos, target)
    below = neg[neg < empirical]
    floor = float(below.max()) if len(below) else float(neg.min(initial=0.0)) / 2
    middle = (_logit(empirical) + _logit(floor)) / 2
    z = _logit(pos)
    tolerance = z.mean() - NormalDist().inv_cdf(target) * z.std(ddof=1)
    return float(1.0 / (1.0 + np.exp(-min(middle, tolerance))))


def adapted_head_report(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    shipped: np.ndarray,
    target: float,
    n_boot: int,
    seed: int = 0,
) -> dict:
    penalty, oof = cross_validate(x, y, groups)
    t_adapted = robust_threshold(y, oof, target)
    t_shipped = S.sensitivity_threshold(shipped[y == 1], target)
    adapted = {
        "auc": _auc(y, oof, groups, n_boot, seed),
        "threshold": t_adapted,
        **S.at_threshold(y, oof, t_adapted),
    }
    base = {
        "auc": _auc(y, shipped, groups, n_boot, seed),
        "threshold": t_shipped,
        **S.at_threshold(y, shipped, t_shipped),
    }
    better = (
        adapted["specificity"]["value"] > base["specificity"]["value"]
        and adapted["sensitivity"]["value"] >= base["sensitivity"]["value"]
        and adapted["auc"]["value"] >= base["auc"]["value"] - AUC_NOISE
    )
    return {
        "penalty": penalty,
        "target_sensitivity": target,
        "adapted": adapted,
        "shipped": base,
        "better": bool(better),
        "head": AdaptedHead.fit(x, y, penalty).to_dict(),  # on every film; its threshold from the folds
    }


def summary_lines(report: dict) -> list[str]:
    def line(name: str, d: dict) -> str:
        lo, hi = d["auc"]["ci95"]
        se, sp = d["sensitivity"], d["specificity"]
        return (
            f"{name}: AUC {d['auc']['value']:.3f} ({lo:.3f}-{hi:.3f}); at threshold {d['threshold']:.4f} "
            f"sensitivity {100 * se['value']:.1f}% ({100 * se['ci95'][0]:.1f}-{100 * se['ci95'][1]:.1f}), "
            f"specificity {100 * sp['value']:.1f}% ({100 * sp['ci95'][0]:.1f}-{100 * sp['ci95'][1]:.1f})"
        )

    verdict = "better: it may be adopted" if report["better"] else "not better: the shipped head stays"
    return [
        line("adapted head (out of fold)", report["adapted"]),
        line("shipped head (same films)", report["shipped"]),
        f"adapted head {verdict} (L2 penalty {report['penalty']} chosen by patient-grouped cross-validation)",
    ]
