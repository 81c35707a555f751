"""``python -m training.scope_hospitals_eval [--assets DIR] [--run runs/scope-<time>]``: the gate by hospital.

Two views, because they answer different questions:

- the whole shipped pipeline (``Screener``: tags, pixels, learned gate, distance) on every NLM film:
  honest for Montgomery, which no gate trained on, in-sample for Shenzhen when the gate trained on it;
- with ``--run``: the learned gate alone at the shipped threshold, each Shenzhen film scored by a
  fold gate that never saw it (``scores.json`` from ``train_scope --hospitals``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from training import scope_hospitals


def pipeline_table(assets: Path, data: Path, operating_point: str | None = None) -> list[str]:
    from pneumoscan.screener import Screener

    screener = Screener(assets / "model.json", threads=2, operating_point=operating_point)
    groups: dict[str, list[dict]] = {}
    for f in scope_hospitals.hospital_films(data):
        entry = {"hospital": f["hospital"], "age": f["age"]}
        groups.setdefault(scope_hospitals.group_of(entry), []).append(f)
    lines = [
        f"| group | films | refused | refused by | assessed normal films flagged ({screener.operating_point}) "
        "| assessed TB films flagged |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for group, films in sorted(groups.items()):
        results = list(screener.screen([Path(f["path"]) for f in films]))
        refused = [r for r in results if r.out_of_scope]
        why = Counter(r.reason.split(":")[1].split("(")[0].strip() for r in refused if ":" in r.reason)
        reasons = "; ".join(f"{k} {v}" for k, v in why.most_common(3))
        flagged = []
        for label in (0, 1):
            seen = [r for f, r in zip(films, results) if f["label"] == label and r.ok and not r.out_of_scope]
            flagged.append(f"{sum(r.flagged for r in seen)} / {len(seen)}" if seen else "-")
        lines.append(
            f"| {group} | {len(results)} | {len(refused)} ({len(refused) / len(results):.1%}) | {reasons} "
            f"| {flagged[0]} | {flagged[1]} |"
        )
    return lines


def scope_set_table(assets: Path, data: Path) -> list[str]:
    """The whole pipeline on the scope set, by class, split by whether any gate trained on the source."""
    import csv

    from pneumoscan.screener import Screener

    scope = data / "scope"
    with open(scope / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    results = {
        r.path: r
        for r in Screener(assets / "model.json", threads=2).screen([scope / r["path"] for r in rows])
    }
    counts: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        key = (row["class"], "trained on (in sample)" if row["train_ok"] == "yes" else "never trained on")
        c = counts.setdefault(key, [0, 0])
        c[0] += 1
        c[1] += results[scope / row["path"]].out_of_scope
    lines = ["| scope-set class | sources | images | refused |", "| --- | --- | --- | --- |"]
    for (cls, kind), (n, out) in sorted(counts.items()):
        lines.append(f"| {cls} | {kind} | {n} | {out} ({out / n:.1%}) |")
    return lines


def loso_table(assets: Path, run: Path) -> list[str]:
    """The second gate leave one source out, on the scope set: alone, and with the checks no source trains.

    ``scores.json`` holds, for each scope image of a trainable source, the second gate's score from a
    fold that never saw that source. Tags, pixels and the distance check learn nothing from the
    scope set, so "those checks or the fold gate" is an honest lower bound for the whole pipeline
    left one source out (the first gate, whose folds are not here, can only add refusals).
    """
    from training.scope_union_loso import fixed_check_refusals

    scores = json.loads((run / "scores.json").read_text())["scope"]
    gate = json.loads((assets / "scope_gate.json").read_text())
    threshold = gate["classifier_hospitals"]["threshold"]
    folds = {p: s for p, s in scores.items() if s["scored_by"].startswith("fold")}
    refused = fixed_check_refusals(assets, list(folds))
    counts: dict[str, list[int]] = {}
    for path, s in folds.items():
        fold_refuses = s["probs"][0] < threshold
        fixed = path in refused
        c = counts.setdefault(s["class"], [0, 0, 0])
        c[0] += 1
        c[1] += fold_refuses
        c[2] += fold_refuses or fixed
    lines = [
        "| class (trainable sources, each left out) | images | second gate alone refuses | "
        "with tags, pixels, distance (lower bound of the pipeline) |",
        "| --- | --- | --- | --- |",
    ]
    for cls, (n, alone, bound) in sorted(counts.items()):
        lines.append(f"| {cls} | {n} | {alone} ({alone / n:.1%}) | {bound} ({bound / n:.1%}) |")
    return lines


def gate_table(run: Path, threshold: float) -> list[str]:
    scores = json.loads((run / "scores.json").read_text())
    groups: dict[str, list[tuple[float, str]]] = {}
    for entry in scores.get("hospitals", {}).values():
        groups.setdefault(scope_hospitals.group_of(entry), []).append((entry["probs"][0], entry["scored_by"]))
    lines = [f"| group (learned gate alone, threshold {threshold:.3f}) | films | refused | scored by |"]
    lines.append("| --- | --- | --- | --- |")
    for group, rows in sorted(groups.items()):
        p = np.array([r[0] for r in rows])
        by = "fold gates (film never trained on)" if rows[0][1].startswith("fold") else "the full gate"
        lines.append(
            f"| {group} | {len(p)} | {int((p < threshold).sum())} ({(p < threshold).mean():.1%}) | {by} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="The scope gate on other hospitals' films.")
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--run", type=Path, default=None)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--operating-point", default=None, help="flag at this point (default: the model's)")
    args = ap.parse_args(argv)
    print("\n".join(pipeline_table(args.assets, args.data, args.operating_point)))
    print()
    print("\n".join(scope_set_table(args.assets, args.data)))
    if args.run is not None:
        gate = json.loads((args.assets / "scope_gate.json").read_text())  # the run's gate ships second
        threshold = gate.get("classifier_hospitals", gate["classifier"])["threshold"]
        print()
        print("\n".join(gate_table(args.run, threshold)))
        print()
        print("\n".join(loso_table(args.assets, args.run)))


if __name__ == "__main__":
    main()
