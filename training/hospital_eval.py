"""``python -m training.hospital_eval``: the model by hospital, on hospitals it did not train on.

Two sources of scores:
- ``--shipped``: the shipped ONNX model on every film of the other hospitals (it trained on
  Guangzhou only, so each of them is unseen) and on the patient-wise Guangzhou validation split;
- ``--run RUN...``: leave-one-hospital-out runs (``training.train --hold-out-hospital H``): each
  run's held-out hospital, and its Guangzhou validation.

For each hospital, children and adults apart where both exist: AUC of normal vs abnormal
(pneumonia at Guangzhou and Hannover, tuberculosis at Shenzhen and Montgomery) with a 95%
bootstrap interval, and sensitivity and specificity at the default operating point (the
shipped threshold for ``--shipped``; for a run, its Guangzhou-validation threshold for
sensitivity 0.98, the rule of the shipped default) with exact 95% intervals. Scoring skips the scope
gate: this measures the model, not what the gate lets through. For a model (``--shipped``,
``--model``), groups with abnormal films only are also ranked against Guangzhou's normal
validation films (``against_home``).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from training.evaluate import SCREENING_TARGET

BOOT = 1000


def auc_ci(y: np.ndarray, s: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    if len(set(y)) < 2:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    boots = []
    for _ in range(BOOT):  # stratified: each resample keeps both classes
        idx = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        boots.append(roc_auc_score(y[idx], s[idx]))
    return float(roc_auc_score(y, s)), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def rate(k: int, n: int) -> str:
    if n == 0:
        return "-"
    ci = binomtest(k, n).proportion_ci(method="exact")
    return f"{100 * k / n:.1f}% ({100 * ci.low:.0f}-{100 * ci.high:.0f}; {k}/{n})"


def table(rows: list[dict], threshold: float, title: str) -> str:
    """Markdown rows for (hospital, age group) cells of ``rows`` (label, score, hospital, child)."""
    out = [
        f"**{title}** (threshold {threshold:.4g})",
        "",
        "| hospital | films | normal / abnormal | AUC (95% CI) | sensitivity | specificity |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        age = {True: "children", False: "adults", None: "age not given"}[r["child"]]
        groups.setdefault((r["hospital"], age), []).append(r)
    for (hospital, age), cell in sorted(groups.items()):
        y = np.array([r["label"] for r in cell])
        s = np.array([r["score"] for r in cell])
        auc, lo, hi = auc_ci(y, s)
        auc_text = "-" if np.isnan(auc) else f"{auc:.3f} ({lo:.3f}-{hi:.3f})"
        flagged = s >= threshold
        out.append(
            f"| {hospital}, {age} | {len(cell)} | {int((y == 0).sum())} / {int(y.sum())} | {auc_text} | "
            f"{rate(int((flagged & (y == 1)).sum()), int(y.sum()))} | "
            f"{rate(int((~flagged & (y == 0)).sum()), int((y == 0).sum()))} |"
        )
    return "\n".join(out) + "\n"


def against_home(rows: list[dict], home: str = "guangzhou (validation)") -> str:
    """Groups with abnormal films only (Hannover, the public collection) have no AUC of their own;
    ranked against the home hospital's normal validation films they show, without a threshold,
    whether pneumonia elsewhere still scores as pneumonia (a threshold's count moves with the threshold)."""
    normal = np.array([r["score"] for r in rows if r["hospital"] == home and r["label"] == 0])
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["hospital"] != home:
            groups.setdefault(r["hospital"], []).append(r)
    out = []
    for hospital, cell in sorted(groups.items()):
        if any(r["label"] == 0 for r in cell) or len(normal) == 0:
            continue
        s = np.array([r["score"] for r in cell])
        y = np.r_[np.ones(len(s)), np.zeros(len(normal))]
        auc, lo, hi = auc_ci(y, np.r_[s, normal])
        out.append(
            f"- {hospital}: {len(s)} abnormal films against {len(normal)} normal films of {home}: "
            f"AUC {auc:.3f} ({lo:.3f}-{hi:.3f}), median score {np.median(s):.3f} (those normal films: "
            f"{np.median(normal):.3f})"
        )
    return "\n".join(out) + ("\n" if out else "")


def trained_hospitals(manifest: Path) -> set[str]:
    """The other hospitals a shipped model trained on (its manifest's training config)."""
    import json

    from training.sources import trained_on

    return set(trained_on(json.loads(Path(manifest).read_text()).get("training", {}).get("config", {})))


def _name(hospital: str, trained: set[str]) -> str:
    if hospital == "guangzhou":
        return "guangzhou (validation)"
    if hospital == "collection":
        return "public collection, many hospitals (unseen)"
    return f"{hospital} (trained on: in-sample)" if hospital in trained else f"{hospital} (unseen)"


def shipped_rows(data: Path, manifest: Path | None) -> tuple[list[dict], float]:
    """The shipped model's calibrated probability for every film of every hospital (no scope gate)."""
    from pneumoscan.model.preprocess import InputSpec
    from pneumoscan.screener import Screener
    from training import dataset, sources, split

    screener = Screener(manifest)
    items = split.list_images(data / "chest_xray" / "train")
    _, val = split.split_items(items, split.load_split())
    films = sources.guangzhou(val) + sources.other_hospitals(data, ["shenzhen", "montgomery", "hannover"])
    films += sources.collection(data)
    trained = trained_hospitals(screener.manifest.path)
    rows = []
    for i in range(0, len(films), 64):
        chunk = films[i : i + 64]
        x, _ = dataset.load_arrays([(f.path, f.label) for f in chunk], InputSpec())
        probs = screener.model.predict(dataset.model_tensors(x)).probability
        rows += [
            {
                "hospital": _name(f.hospital, trained),
                "child": f.child,
                "label": f.label,
                "score": float(p),
                "path": str(f.path),
            }
            for f, p in zip(chunk, probs)
        ]
    return rows, float(screener.manifest.thresholds[screener.manifest.default_operating_point])


def run_rows(run: Path) -> tuple[list[dict], float]:
    """A leave-one-hospital-out run: its held-out hospital and its Guangzhou validation (logits)."""
    from training import metrics as M

    val = list(csv.DictReader(open(run / "val_predictions.csv")))
    y = np.array([int(r["label"]) for r in val])
    z = np.array([float(r["logit"]) for r in val])
    threshold = M.threshold_for_sensitivity(y, z, SCREENING_TARGET)
    rows = [
        {"hospital": "guangzhou (validation)", "child": True, "label": int(a), "score": float(b)}
        for a, b in zip(y, z)
    ]
    for r in csv.DictReader(open(run / "heldout_hospital_predictions.csv")):
        child = None if r["child"] == "" else bool(int(r["child"]))
        rows.append(
            {
                "hospital": f"{r['hospital']} (held out)",
                "child": child,
                "label": int(r["label"]),
                "score": float(r["logit"]),
            }
        )
    return rows, threshold


def write_validation(rows: list[dict], folder: Path) -> Path:
    """The shipped model's Guangzhou validation scores in a run's layout (``val_predictions.csv``,
    logits of the probabilities), so that the tools that read runs (``training.age_probe``) read it."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "val_predictions.csv"
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "logit"])
        for r in rows:
            if r["hospital"] == "guangzhou (validation)":
                p = min(max(r["score"], 1e-7), 1 - 1e-7)
                w.writerow([r["path"], r["label"], f"{np.log(p / (1 - p)):.6f}"])
    return out


def cli(argv: list[str] | None, description: str, render) -> None:
    """The shared command line: score the shipped model and/or runs, render each, print (and write).

    ``render(rows, threshold, name, shipped)`` returns the Markdown for one model or run.
    """
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--shipped", action="store_true", help="the shipped model on every hospital")
    ap.add_argument("--model", type=Path, default=None, help="another manifest than the shipped one")
    ap.add_argument("--run", type=Path, nargs="*", default=[], help="leave-one-hospital-out run folders")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None, help="also write the tables to this Markdown file")
    ap.add_argument(
        "--predictions", type=Path, help="with --shipped: write its validation scores here, as a run folder"
    )
    args = ap.parse_args(argv)
    if args.predictions and not (args.shipped or args.model):
        raise SystemExit("--predictions writes a shipped model's scores: give --shipped or --model")
    parts = []
    if args.shipped or args.model:
        rows, t = shipped_rows(args.data, args.model)
        parts.append(render(rows, t, str(args.model or "shipped"), True))
        if args.predictions:
            print(f"wrote {write_validation(rows, args.predictions)}")
    for run in args.run:
        rows, t = run_rows(run)
        parts.append(render(rows, t, f"run {run.name}", False))
    text = "\n".join(parts)
    print(text)
    if args.out:
        args.out.write_text(text)


def main(argv: list[str] | None = None) -> None:
    def render(rows, t, name, shipped):
        what = (
            "model (each hospital marked unseen or trained on)"
            if shipped
            else "(logits; held-out hospital never trained on)"
        )
        return table(rows, t, f"{name} {what}") + ("\n" + against_home(rows) if shipped else "")

    cli(argv, __doc__.splitlines()[0], render)


if __name__ == "__main__":
    main()
