"""``python -m training.evaluate RUN_DIR``: metrics, plots, calibration and thresholds.

Everything is chosen on the patient-wise validation split. Thresholds at the
tail of a few hundred positives are noisy, so each is estimated on a
patient-level bootstrap: the shipped value is the bootstrap median and its
95% interval is reported, together with what it gives on the shifted copy.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from training import metrics as M
from training.split import patient_id

SENS_TARGET = 0.99
#: the default operating point's target: the product's bar (sensitivity >= 0.98), away from the
#: tail that moves most at other hospitals (``python -m training.operating_point``)
SCREENING_TARGET = 0.98
POINTS = ("screening", "high_sensitivity", "balanced")
BOOTSTRAPS = 2000


def read_predictions(run_dir: Path) -> dict:
    rows = list(csv.DictReader(open(run_dir / "val_predictions.csv")))
    return {
        "paths": [r["path"] for r in rows],
        "y": np.array([int(r["label"]) for r in rows]),
        "logit": np.array([float(r["logit"]) for r in rows]),
        "logit_shifted": np.array([float(r["logit_shifted"]) for r in rows]),
    }


def patient_bootstrap(paths: list[str], n: int, seed: int = 0):
    """Index arrays resampling whole patients (their images stay together)."""
    pids = [patient_id(Path(p).name) for p in paths]
    groups: dict[str, list[int]] = {}
    for i, pid in enumerate(pids):
        groups.setdefault(pid, []).append(i)
    members = [np.array(v) for v in groups.values()]
    rng = np.random.default_rng(seed)
    for _ in range(n):
        pick = rng.integers(0, len(members), len(members))
        yield np.concatenate([members[k] for k in pick])


def summarize(values: list[float]) -> dict:
    arr = np.asarray(values)
    return {
        "median": float(np.median(arr)),
        "ci95": [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))],
    }


def sensitivity_spread(
    y: np.ndarray, p: np.ndarray, paths: list[str], target: float, refused: np.ndarray | None = None
) -> dict:
    """Bootstrap median and interval of the highest threshold keeping sensitivity >= ``target`` over
    patient resamples. A film in ``refused`` (the scope gate's) is never flagged, so it counts as
    missed: the target is then what the product keeps, not what the model alone keeps. Where the
    refusals alone exceed the misses allowed, a resample's threshold flags every film it assessed."""
    s = np.asarray(p, dtype=np.float64)
    if refused is not None:
        s = np.where(refused, -np.inf, s)

    def one(idx: np.ndarray) -> float:
        t = M.threshold_for_sensitivity(y[idx], s[idx], target)
        assessed = s[idx][(y[idx] == 1) & np.isfinite(s[idx])]
        return t if np.isfinite(t) or not assessed.size else float(assessed.min())

    return summarize([one(i) for i in patient_bootstrap(paths, BOOTSTRAPS)])


def evaluate_scores(y, p, thresholds: dict[str, float]) -> dict:
    return {
        "n": int(len(y)),
        "positives": int(np.sum(y)),
        "auc": M.roc_auc(y, p),
        "ece": M.ece(y, p),
        "operating_points": {k: M.at_threshold(y, p, t) for k, t in thresholds.items()},
    }


def spread_at(y: np.ndarray, p: np.ndarray, paths: list[str], t: float) -> dict:
    """What a fixed threshold does across patient resamples: sensitivity and specificity intervals."""
    sens, spec = [], []
    for idx in patient_bootstrap(paths, 500, seed=1):
        r = M.at_threshold(y[idx], p[idx], t)
        sens.append(r["sensitivity"])
        spec.append(r["specificity"])
    return {"sensitivity": summarize(sens), "specificity": summarize(spec)}


def choose(preds: dict) -> dict:
    y, z, zs = preds["y"], preds["logit"], preds["logit_shifted"]
    temperature, bias = M.fit_calibration(y, z)
    raw_ece = M.ece(y, M.sigmoid(z))
    if raw_ece <= 0.03:
        temperature, bias = 1.0, 0.0  # calibrated enough; keep the raw probability
    p, ps = M.calibrate(z, temperature, bias), M.calibrate(zs, temperature, bias)
    boot = {"screening": [], "high_sensitivity": [], "balanced": [], "auc": [], "auc_shifted": []}
    for idx in patient_bootstrap(preds["paths"], BOOTSTRAPS):
        if y[idx].min() == y[idx].max():
            continue
        boot["screening"].append(M.threshold_for_sensitivity(y[idx], p[idx], SCREENING_TARGET))
        boot["high_sensitivity"].append(M.threshold_for_sensitivity(y[idx], p[idx], SENS_TARGET))
        boot["balanced"].append(M.youden_threshold(y[idx], p[idx]))
        boot["auc"].append(M.roc_auc(y[idx], p[idx]))
        boot["auc_shifted"].append(M.roc_auc(y[idx], ps[idx]))
    thresholds = {k: summarize(boot[k])["median"] for k in POINTS}
    spread = {name: spread_at(y, p, preds["paths"], t) for name, t in thresholds.items()}
    return {
        "temperature": temperature,
        "bias": bias,
        "ece_before_calibration": raw_ece,
        "thresholds": thresholds,
        "threshold_bootstrap": {k: summarize(boot[k]) for k in POINTS},
        "threshold_point_estimate": {
            "screening": M.threshold_for_sensitivity(y, p, SCREENING_TARGET),
            "high_sensitivity": M.threshold_for_sensitivity(y, p, SENS_TARGET),
            "balanced": M.youden_threshold(y, p),
        },
        "bootstrap_at_threshold": spread,
        "auc_ci95": summarize(boot["auc"])["ci95"],
        "auc_shifted_ci95": summarize(boot["auc_shifted"])["ci95"],
        "validation": evaluate_scores(y, p, thresholds),
        "validation_shifted": evaluate_scores(y, ps, thresholds),
    }


def plots(run_dir: Path, preds: dict, result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y = preds["y"]
    t, b = result["temperature"], result["bias"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for key, label in (("logit", "validation"), ("logit_shifted", "shifted validation")):
        p = M.calibrate(preds[key], t, b)
        fpr, tpr, _ = M.roc_curve(y, p)
        axes[0].plot(fpr, tpr, label=f"{label} AUC {M.roc_auc(y, p):.4f}")
        order = np.argsort(-p)
        tp = np.cumsum(y[order])
        prec, rec = tp / np.arange(1, len(y) + 1), tp / y.sum()
        axes[1].plot(rec, prec, label=label)
        edges = np.linspace(0, 1, 11)
        idx = np.clip(np.digitize(p, edges[1:-1]), 0, 9)
        xs = [p[idx == b].mean() for b in range(10) if (idx == b).any()]
        ys = [y[idx == b].mean() for b in range(10) if (idx == b).any()]
        axes[2].plot(xs, ys, "o-", label=f"{label} ECE {M.ece(y, p):.3f}")
    for name in result["thresholds"]:
        r = result["validation"]["operating_points"][name]
        axes[0].plot(1 - r["specificity"], r["sensitivity"], "k^" if name == "balanced" else "rs", label=name)
    axes[0].set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC")
    axes[1].set(xlabel="recall", ylabel="precision", title="Precision-recall")
    axes[2].plot([0, 1], [0, 1], "k:")
    axes[2].set(xlabel="predicted probability", ylabel="observed frequency", title="Reliability")
    for ax in axes:
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(run_dir / "evaluation.png", dpi=110)
    plt.close(fig)


def evaluate_run(run_dir: str | Path) -> dict:
    run_dir = Path(run_dir)
    preds = read_predictions(run_dir)
    result = choose(preds)
    (run_dir / "evaluation.json").write_text(json.dumps(result, indent=2))
    plots(run_dir, preds, result)
    v, s = result["validation"], result["validation_shifted"]
    print(
        f"temperature {result['temperature']:.3f} bias {result['bias']:.3f}; ECE {result['ece_before_calibration']:.3f} -> {v['ece']:.3f}; AUC {v['auc']:.4f} (shifted {s['auc']:.4f})"
    )
    for name in result["thresholds"]:
        a, b = v["operating_points"][name], s["operating_points"][name]
        print(
            f"{name}: t={a['threshold']:.4f} sens {a['sensitivity']:.4f} spec {a['specificity']:.4f} "
            f"| shifted sens {b['sensitivity']:.4f} spec {b['specificity']:.4f}"
        )
    return result


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        raise SystemExit("usage: python -m training.evaluate RUN_DIR")
    evaluate_run(args[0])


if __name__ == "__main__":
    main()
