"""``python -m training.blend_eval --masked RUN --unmasked RUN``: a masked and an unmasked model, averaged.

Why: the classifier trained on films masked to the lungs ranks a hospital it never saw better
(fifteenth recipe: Shenzhen's adults 0.71-0.75 against 0.50-0.59), while the unmasked one keeps
more of Guangzhou's normal films on another machine's copy of them (77-81% cleared against
60-68%). Each may be right where the other is wrong; an average of their logits,
``w * masked + (1 - w) * unmasked``, is the cheapest way to find out whether one product can have
both. Both runs must hold out the same hospital and split Guangzhou the same way (same seed).

For each weight ``w``: the threshold keeping 0.98 sensitivity on the blended clean validation
logits (the shipped default's rule), then AUC with a 95% stratified bootstrap interval,
sensitivity and specificity (exact intervals) at it on

- Guangzhou's validation films, clean;
- their shifted copy in a product's order: the unmasked run's shifted copy, and the masked run's
  scores for the same shifted films masked afterwards (``mask_order_predictions.csv``, written
  by ``python -m training.mask_order RUN``);
- the held-out hospital, children and adults apart.

Reads only the runs' prediction files: nothing is scored again.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from training import metrics as M
from training.hospital_eval import auc_ci, rate
from training.shifted_threshold import TARGET

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
SHIFTED = "Guangzhou validation, shifted copy (shift, then mask)"


def _rows(path: Path) -> dict[str, dict]:
    if not path.is_file():
        hint = (
            " (write it with python -m training.mask_order RUN)" if path.name.startswith("mask_order") else ""
        )
        raise SystemExit(f"{path}: missing{hint}")
    with open(path, newline="") as fh:
        return {r["path"]: r for r in csv.DictReader(fh)}


def _paired(a: dict[str, dict], b: dict[str, dict], what: str) -> list[str]:
    if set(a) != set(b):
        raise SystemExit(f"{what}: the two runs do not list the same films ({len(set(a) ^ set(b))} differ)")
    paths = sorted(a)
    if any(a[p]["label"] != b[p]["label"] for p in paths):
        raise SystemExit(f"{what}: the two runs label a film differently")
    return paths


def load(masked: Path, unmasked: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per group: labels ``y`` and the two runs' logits ``m`` (masked) and ``u`` (unmasked)."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    vm, vu = _rows(masked / "val_predictions.csv"), _rows(unmasked / "val_predictions.csv")
    sm = _rows(masked / "mask_order_predictions.csv")
    paths = _paired(vm, vu, "validation")
    _paired(vm, sm, "validation (mask_order_predictions.csv)")
    y = np.array([int(vm[p]["label"]) for p in paths])
    groups["Guangzhou validation, clean"] = {
        "y": y,
        "m": np.array([float(vm[p]["logit"]) for p in paths]),
        "u": np.array([float(vu[p]["logit"]) for p in paths]),
    }
    groups[SHIFTED] = {
        "y": y,
        "m": np.array([float(sm[p]["logit_shift_then_mask"]) for p in paths]),
        "u": np.array([float(vu[p]["logit_shifted"]) for p in paths]),
    }
    hm = _rows(masked / "heldout_hospital_predictions.csv")
    hu = _rows(unmasked / "heldout_hospital_predictions.csv")
    held = _paired(hm, hu, "held-out hospital")
    by: dict[str, list[str]] = {}
    for p in held:
        r = hm[p]
        age = {"1": "children", "0": "adults"}.get(r["child"], "age not given")
        by.setdefault(f"{r['hospital']} (held out), {age}", []).append(p)
    for name, ps in sorted(by.items()):
        groups[name] = {
            "y": np.array([int(hm[p]["label"]) for p in ps]),
            "m": np.array([float(hm[p]["logit"]) for p in ps]),
            "u": np.array([float(hu[p]["logit"]) for p in ps]),
        }
    return groups


def blend(groups: dict[str, dict[str, np.ndarray]], w: float) -> dict[str, dict]:
    """Figures for ``w * masked + (1 - w) * unmasked`` in every group, at the clean 0.98 rule."""
    z = {k: w * g["m"] + (1 - w) * g["u"] for k, g in groups.items()}
    clean = "Guangzhou validation, clean"
    t = M.threshold_for_sensitivity(groups[clean]["y"], z[clean], TARGET)
    out = {}
    for name, g in groups.items():
        y, flagged = g["y"], z[name] >= t
        auc, lo, hi = auc_ci(y, z[name])
        out[name] = {
            "auc": auc,
            "auc_ci": [lo, hi],
            "threshold": float(t),
            "flagged_abnormal": [int((flagged & (y == 1)).sum()), int((y == 1).sum())],
            "cleared_normal": [int((~flagged & (y == 0)).sum()), int((y == 0).sum())],
        }
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--masked", type=Path, required=True, help="a --lung-mask run (after mask_order)")
    ap.add_argument(
        "--unmasked", type=Path, required=True, help="the unmasked run holding out the same hospital"
    )
    ap.add_argument(
        "--weights", type=float, nargs="+", default=list(WEIGHTS), help="the masked run's weights"
    )
    ap.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = ap.parse_args(argv)
    groups = load(args.masked, args.unmasked)
    res = {str(w): blend(groups, w) for w in args.weights}
    print("| masked weight | group | AUC (95% CI) | sensitivity | specificity |")
    print("| --- | --- | --- | --- | --- |")
    for w, figs in res.items():
        for name, f in figs.items():
            print(
                f"| {w} | {name} | {f['auc']:.3f} ({f['auc_ci'][0]:.3f}-{f['auc_ci'][1]:.3f}) "
                f"| {rate(*f['flagged_abnormal'])} | {rate(*f['cleared_normal'])} |"
            )
    if args.out:
        args.out.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
