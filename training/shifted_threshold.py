"""``python -m training.shifted_threshold RUN...``: does a run's threshold carry to another batch?

The official test split is another acquisition batch of the training hospital, and there the
validation threshold flagged far more normal films than on validation. The shifted copy of
validation stands in for it. For each run: AUC clean and shifted, and at the 0.98-sensitivity
threshold of clean validation (the rule's point estimate), specificity on both and sensitivity on the
shifted copy. Reads only the run's ``val_predictions.csv``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from training import metrics as M

TARGET = 0.98


def carry(y: np.ndarray, z: np.ndarray, zs: np.ndarray, target: float = TARGET) -> dict:
    """Figures for the threshold that keeps ``target`` sensitivity on clean scores ``z`` (the
    project's own rule, ``training.metrics.threshold_for_sensitivity``)."""
    t = M.threshold_for_sensitivity(y, z, target)
    clean, shifted = M.at_threshold(y, z, t), M.at_threshold(y, zs, t)
    return {
        "auc": M.roc_auc(y, z),
        "auc_shifted": M.roc_auc(y, zs),
        "spec": clean["specificity"],
        "spec_shifted": shifted["specificity"],
        "sens_shifted": shifted["sensitivity"],
    }


def read(run: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with open(run / "val_predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([int(r["label"]) for r in rows])
    return y, np.array([float(r["logit"]) for r in rows]), np.array([float(r["logit_shifted"]) for r in rows])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--target", type=float, default=TARGET, help="sensitivity the clean threshold keeps")
    args = ap.parse_args(argv)
    print(f"threshold: sensitivity {args.target} on clean validation")
    print(
        "| run | validation AUC, clean / shifted | specificity clean -> shifted | sensitivity on the shifted copy |"
    )
    print("| --- | --- | --- | --- |")
    for run in args.runs:
        c = carry(*read(run), target=args.target)
        print(
            f"| {run} | {c['auc']:.3f} / {c['auc_shifted']:.3f} | {100 * c['spec']:.1f} -> "
            f"{100 * c['spec_shifted']:.1f}% | {100 * c['sens_shifted']:.1f}% |"
        )


if __name__ == "__main__":
    main()
