"""``python -m training.batch_transfer RUN_DIR...``: does a validation threshold survive another batch?

For a run trained with ``--hold-out-batch NORMAL2``: every NORMAL2 film (744)
is unseen, from an acquisition batch the model never trained or selected on.
The thresholds are chosen as for shipping (calibration and bootstrap median on
the validation split without that batch; the shipped rule is ``screening``,
sensitivity 0.98) and then applied to the unseen batch's normal films; the
shifted validation copy is compared as a predictor of what happens there. The
official test split is a third batch of the same hospital: the unseen batch's
specificity is the nearest measurement here of what new machines cost, not a
promise for that split. The table is printed; the figures go to
``batch_transfer.json`` in the run folder.

``--refused REPORT`` names the validation films the shipped scope gate refuses (the JSON of
``pneumoscan validate`` on the training folder) and adds the shipped default's rule since stop
61: sensitivity 0.98 with those films counted as missed (``convert.operating_point``).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from pneumoscan.validation.stats import clopper_pearson
from training import metrics as M
from training.evaluate import SCREENING_TARGET, choose, read_predictions, sensitivity_spread

GATE_RULE = "clean validation, the gate's refusals counted as missed (shipped since stop 61)"


def _spec(p: np.ndarray, t: float) -> dict:
    k, n = int((p < t).sum()), len(p)
    lo, hi = clopper_pearson(k, n)
    return {"specificity": k / n, "ci95": [lo, hi], "films": n}


def _mean_predictions(run_dirs: list[Path]) -> dict:
    """The runs' validation predictions with logits averaged (as the shipped ensemble averages them)."""
    all_preds = [read_predictions(r) for r in run_dirs]
    preds = dict(all_preds[0])
    assert all(p["paths"] == preds["paths"] for p in all_preds), "runs must share their validation split"
    for key in ("logit", "logit_shifted"):
        preds[key] = np.mean([p[key] for p in all_preds], axis=0)
    return preds


def _heldout_logits(run_dirs: list[Path]) -> np.ndarray:
    per_run = []
    for r in run_dirs:
        rows = list(csv.DictReader(open(r / "heldout_predictions.csv")))
        per_run.append(np.array([float(x["logit"]) for x in rows]))
    return np.mean(per_run, axis=0)


def refused_names(report: Path) -> set[str]:
    """File names of the labelled films the scope gate refused, from a ``pneumoscan validate`` JSON."""
    data = json.loads(report.read_text())
    return {Path(f["path"]).name for f in data.get("scope", {}).get("films", [])}


def transfer(run_dirs: list[Path] | Path, refused: set[str] | None = None) -> dict:
    run_dirs = [run_dirs] if isinstance(run_dirs, Path) else list(run_dirs)
    run_dir = run_dirs[0]
    preds = _mean_predictions(run_dirs)
    chosen = choose(preds)
    t_, b_ = chosen["temperature"], chosen["bias"]
    y = preds["y"]
    p, ps = M.calibrate(preds["logit"], t_, b_), M.calibrate(preds["logit_shifted"], t_, b_)
    unseen = M.calibrate(_heldout_logits(run_dirs), t_, b_)
    pos, neg, neg_s = p[y == 1], p[y == 0], ps[y == 0]
    shifted_rule = M.threshold_for_sensitivity(y, ps, SCREENING_TARGET)
    rules = {
        "clean validation (shipped rule)": chosen["thresholds"]["screening"],
        "high_sensitivity": chosen["thresholds"]["high_sensitivity"],
        "balanced": chosen["thresholds"]["balanced"],
        "shifted copy (same sensitivity target)": shifted_rule,
        "lower of the two": min(chosen["thresholds"]["screening"], shifted_rule),
    }
    if refused is not None:
        gone = np.array([Path(x).name in refused for x in preds["paths"]])
        rules[GATE_RULE] = sensitivity_spread(y, p, preds["paths"], SCREENING_TARGET, gone)["median"]
    out = {
        "run": "+".join(r.name for r in run_dirs),
        "validation_auc": float(roc_auc_score(y, p)),
        "shifted_auc": float(roc_auc_score(y, ps)),
        "unseen_batch_auc": float(
            roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(unseen))], np.r_[pos, unseen])
        ),
        "rules": {},
    }
    for name, t in rules.items():
        out["rules"][name] = {
            "threshold": float(t),
            "validation_sensitivity": float((pos >= t).mean()),
            "shifted_sensitivity": float((ps[y == 1] >= t).mean()),
            "validation_normals": _spec(neg, t),
            "shifted_normals": _spec(neg_s, t),
            "unseen_batch_normals": _spec(unseen, t),
        }
    target = run_dir if len(run_dirs) == 1 else run_dir.parent / ("ensemble-" + out["run"])
    target.mkdir(parents=True, exist_ok=True)
    (target / "batch_transfer.json").write_text(json.dumps(out, indent=2))
    return out


def table(out: dict) -> str:
    """The rules as a markdown table: what each threshold keeps on validation and loses on the batch."""

    def pct(d: dict) -> str:
        lo, hi = d["ci95"]
        return f"{100 * d['specificity']:.1f}% ({100 * lo:.1f}-{100 * hi:.1f})"

    lines = [
        f"run {out['run']}: AUC validation {out['validation_auc']:.4f}, shifted copy "
        f"{out['shifted_auc']:.4f}, unseen batch's normals vs validation pneumonia "
        f"{out['unseen_batch_auc']:.4f}",
        "",
        "| rule | threshold | validation sensitivity / specificity | shifted copy sensitivity / "
        "specificity | unseen batch specificity |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in out["rules"].items():
        lines.append(
            f"| {name} | {r['threshold']:.3f} | {100 * r['validation_sensitivity']:.1f}% / "
            f"{pct(r['validation_normals'])} | {100 * r['shifted_sensitivity']:.1f}% / "
            f"{100 * r['shifted_normals']['specificity']:.1f}% | {pct(r['unseen_batch_normals'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "runs", type=Path, nargs="+", help="runs trained with --hold-out-batch (several: their average)"
    )
    ap.add_argument(
        "--refused", type=Path, help="a `pneumoscan validate` JSON: the films its scope gate refused"
    )
    args = ap.parse_args(argv)
    refused = None
    if args.refused:
        try:
            refused = refused_names(args.refused)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"cannot read the validation report {args.refused}: {exc}") from exc
    print(table(transfer(args.runs, refused)))


if __name__ == "__main__":
    main()
