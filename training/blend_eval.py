"""``python -m training.blend_eval RUN_A RUN_B``: two runs' models averaged (a masked and an unmasked one).

Why: the classifier trained on films masked to the lungs ranks a hospital it never saw better
(fifteenth recipe: Shenzhen's adults 0.71-0.75 against 0.50-0.59), while the unmasked one keeps
more of Guangzhou's normal films on another machine's copy of them (77-81% cleared against
60-68%). Each may be right where the other is wrong; an average of their logits,
``w * masked + (1 - w) * unmasked``, is the cheapest way to find out whether one product can have
both. Two unmasked runs of different seeds are the control: an average of any two models ranks
better than either, and that part of a gain is not the mask's. Both runs must hold out the same
hospital and validate on the same Guangzhou films.

For each weight ``w`` of the first run: the threshold keeping 0.98 sensitivity on the blended
clean validation logits (the shipped default's rule), then AUC with a 95% stratified bootstrap interval,
sensitivity and specificity (exact intervals) at it on

- Guangzhou's validation films, clean;
- their shifted copy in a product's order: an unmasked run's shifted copy, and for a masked run
  the same shifted films masked afterwards (``mask_order_predictions.csv``, written by
  ``python -m training.mask_order RUN``);
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
SHIFTED = "Guangzhou validation, shifted copy (shift, then any mask)"


def prediction_rows(path: Path) -> dict[str, dict]:
    if not path.is_file():
        hint = (
            " (write it with python -m training.mask_order RUN)" if path.name.startswith("mask_order") else ""
        )
        raise SystemExit(f"{path}: missing{hint}")
    with open(path, newline="") as fh:
        return {r["path"]: r for r in csv.DictReader(fh)}


def paired_films(a: dict[str, dict], b: dict[str, dict], what: str) -> list[str]:
    if set(a) != set(b):
        raise SystemExit(f"{what}: the two runs do not list the same films ({len(set(a) ^ set(b))} differ)")
    paths = sorted(a)
    if any(a[p]["label"] != b[p]["label"] for p in paths):
        raise SystemExit(f"{what}: the two runs label a film differently")
    return paths


def shifted(run: Path) -> dict[str, float]:
    """Each validation film's logit on the shifted copy, in a product's order (see the module text)."""
    cfg = json.loads((run / "config.json").read_text()) if (run / "config.json").is_file() else {}
    if cfg.get("lung_mask"):
        return {
            p: float(r["logit_shift_then_mask"])
            for p, r in prediction_rows(run / "mask_order_predictions.csv").items()
        }
    return {p: float(r["logit_shifted"]) for p, r in prediction_rows(run / "val_predictions.csv").items()}


def load(a: Path, b: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per group: labels ``y`` and the two runs' logits ``a`` and ``b``."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    va, vb = prediction_rows(a / "val_predictions.csv"), prediction_rows(b / "val_predictions.csv")
    paths = paired_films(va, vb, "validation")
    sa, sb = shifted(a), shifted(b)
    if not set(paths) == set(sa) == set(sb):
        raise SystemExit("validation: the shifted copy's scores do not list the validation films")
    y = np.array([int(va[p]["label"]) for p in paths])
    groups["Guangzhou validation, clean"] = {
        "y": y,
        "a": np.array([float(va[p]["logit"]) for p in paths]),
        "b": np.array([float(vb[p]["logit"]) for p in paths]),
    }
    groups[SHIFTED] = {"y": y, "a": np.array([sa[p] for p in paths]), "b": np.array([sb[p] for p in paths])}
    ha = prediction_rows(a / "heldout_hospital_predictions.csv")
    hb = prediction_rows(b / "heldout_hospital_predictions.csv")
    by: dict[str, list[str]] = {}
    for p in paired_films(ha, hb, "held-out hospital"):
        age = {"1": "children", "0": "adults"}.get(ha[p]["child"], "age not given")
        by.setdefault(f"{ha[p]['hospital']} (held out), {age}", []).append(p)
    for name, ps in sorted(by.items()):
        groups[name] = {
            "y": np.array([int(ha[p]["label"]) for p in ps]),
            "a": np.array([float(ha[p]["logit"]) for p in ps]),
            "b": np.array([float(hb[p]["logit"]) for p in ps]),
        }
    return groups


def figures(labels: dict[str, np.ndarray], scores: dict[str, np.ndarray], clean: str) -> dict[str, dict]:
    """One model's scores (group -> films) in every group, at the threshold keeping 0.98 sensitivity
    on the ``clean`` group (the shipped default's rule)."""
    t = M.threshold_for_sensitivity(labels[clean], scores[clean], TARGET)
    out = {}
    for name, y in labels.items():
        flagged = scores[name] >= t
        auc, lo, hi = auc_ci(y, scores[name])
        out[name] = {
            "auc": auc,
            "auc_ci": [lo, hi],
            "threshold": float(t),
            "flagged_abnormal": [int((flagged & (y == 1)).sum()), int((y == 1).sum())],
            "cleared_normal": [int((~flagged & (y == 0)).sum()), int((y == 0).sum())],
        }
    return out


def figures_table(res: dict[str, dict[str, dict]], first: str) -> str:
    """Markdown: one row per (model, group) of ``res`` (model -> ``figures``), ``first`` naming the models."""
    lines = [
        f"| {first} | group | AUC (95% CI) | sensitivity | specificity |",
        "| --- | --- | --- | --- | --- |",
    ]
    for model, figs in res.items():
        for name, f in figs.items():
            lines.append(
                f"| {model} | {name} | {f['auc']:.3f} ({f['auc_ci'][0]:.3f}-{f['auc_ci'][1]:.3f}) "
                f"| {rate(*f['flagged_abnormal'])} | {rate(*f['cleared_normal'])} |"
            )
    return "\n".join(lines)


def blend(groups: dict[str, dict[str, np.ndarray]], w: float) -> dict[str, dict]:
    """Figures for ``w * a + (1 - w) * b`` in every group, at the clean 0.98 rule."""
    z = {k: w * g["a"] + (1 - w) * g["b"] for k, g in groups.items()}
    return figures({k: g["y"] for k, g in groups.items()}, z, "Guangzhou validation, clean")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_a", type=Path, help="a run (a --lung-mask one after python -m training.mask_order)")
    ap.add_argument("run_b", type=Path, help="another run holding out the same hospital")
    ap.add_argument("--weights", type=float, nargs="+", default=list(WEIGHTS), help="the first run's weights")
    ap.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = ap.parse_args(argv)
    groups = load(args.run_a, args.run_b)
    res = {str(w): blend(groups, w) for w in args.weights}
    print(f"w: w * {args.run_a} + (1 - w) * {args.run_b}")
    print(figures_table(res, "w"))
    if args.out:
        args.out.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
