"""``python -m training.operating_point``: which threshold rule holds at hospitals the model never saw.

A rule is applied where it must be, on the training hospital's patient-wise validation split,
and the threshold it gives is then carried to films of hospitals the model was not trained on:
pneumonia films (Hannover, adults), tuberculosis and normal films (Shenzhen, Montgomery). The
default operating point is the rule whose sensitivity holds there at the lowest cost in false
alarms: a threshold at the tail of validation (sensitivity 0.99 rests on 7 of 781 films) moves
the most when the films change, and every held-out hospital and batch measured so far shifted
normal films towards "pneumonia".

Sensitivity and specificity are given with exact (Clopper-Pearson) 95% intervals; scores skip
the scope gate (this measures the model's threshold, not what the gate lets through).
"""

from __future__ import annotations

import numpy as np

from training import metrics as M
from training.hospital_eval import rate

#: rule name -> sensitivity target on validation (None: Youden's J)
RULES: dict[str, float | None] = {
    "sensitivity 0.99 (high_sensitivity)": 0.99,
    "sensitivity 0.98 (screening)": 0.98,
    "sensitivity 0.97": 0.97,
    "Youden's J (balanced)": None,
}


def rule_threshold(y: np.ndarray, p: np.ndarray, target: float | None) -> float:
    return M.youden_threshold(y, p) if target is None else M.threshold_for_sensitivity(y, p, target)


def _cells(rows: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in rows:
        age = {True: "children", False: "adults", None: "age not given"}[r["child"]]
        groups.setdefault(f"{r['hospital']}, {age}", []).append(r)
    return groups


def rules_table(rows: list[dict], title: str) -> str:
    """One line per rule: its validation threshold and what it gives at every other hospital.

    ``rows`` hold label, score, hospital, child; the rows whose hospital starts with
    ``guangzhou`` are the validation split the thresholds are chosen on.
    """
    val = [r for r in rows if r["hospital"].startswith("guangzhou")]
    y = np.array([r["label"] for r in val])
    s = np.array([r["score"] for r in val])
    cells = {k: v for k, v in _cells(rows).items() if not k.startswith("guangzhou")}
    head = ["rule", "threshold", "Guangzhou validation sens / spec"]
    for name, cell in sorted(cells.items()):
        has = {int(r["label"]) for r in cell}
        head += [f"{name} sens"] * (1 in has) + [f"{name} spec"] * (0 in has)
    out = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for rule, target in RULES.items():
        t = rule_threshold(y, s, target)
        op = M.at_threshold(y, s, t)
        line = [rule, f"{t:.4g}", f"{100 * op['sensitivity']:.1f}% / {100 * op['specificity']:.1f}%"]
        for _, cell in sorted(cells.items()):
            cy = np.array([r["label"] for r in cell])
            cs = np.array([r["score"] for r in cell])
            flagged = cs >= t
            if (cy == 1).any():
                line.append(rate(int((flagged & (cy == 1)).sum()), int((cy == 1).sum())))
            if (cy == 0).any():
                line.append(rate(int((~flagged & (cy == 0)).sum()), int((cy == 0).sum())))
        out.append("| " + " | ".join(line) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    from training.hospital_eval import cli

    def render(rows, _threshold, name, shipped):
        return rules_table(
            rows, f"{name}{' model' if shipped else ' (logits)'}: rules on Guangzhou validation"
        )

    cli(argv, __doc__.splitlines()[0], render)


if __name__ == "__main__":
    main()
