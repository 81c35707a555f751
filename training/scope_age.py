"""``python -m training.scope_age --apparent CSV``: which in-scope films the scope gates refuse,
against how old they look (issue 18: "at most 1% of the official test refused"; stop 55).

Why: the gates' refusals of Guangzhou's own films were read by eye as "older patients" (stop 30),
and Guangzhou's pneumonia films look older than its normal ones to a reader of age that never saw
either (``training.age_reader``, stop 54). If the gates refused by apparent age, the official
test's pneumonia films would be refused more often than the normal batch that measured the gates'
cost on unseen films (2.82%), and a refused pneumonia film is one PneumoScan does not put first.
This screens Guangzhou's validation films through the shipped ``Screener`` and reports the
refusals by class, by acquisition batch and by band of apparent age, and how each learned gate's
in-scope probability and the distance check follow apparent age within each class.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.stats import rankdata, spearmanr

from pneumoscan.scope.result import CheckResult, first_refusal
from pneumoscan.validation.stats import clopper_pearson
from training.age_probe import quantile_bands

DATA = Path("../shared/data")
#: The scores each film's checks leave (``CheckResult.check`` names).
SCORES = ("classifier", "classifier_hospitals", "distance")


def rate(k: int, n: int) -> str:
    lo, hi = clopper_pearson(k, n)
    return f"{k} of {n} ({100 * k / n:.2f}%; {100 * lo:.1f}-{100 * hi:.1f})" if n else "-"


def percentile_ranks(values: np.ndarray) -> np.ndarray:
    """Each value's share (0-100) of the films below it, ties counted half."""
    return 100.0 * (rankdata(values, method="average") - 1) / max(1, len(values) - 1)


def band_shares(refused: np.ndarray, age: np.ndarray, bands: int = 5) -> list[tuple[float, float, int, int]]:
    """(low, high, refused, films) per band of apparent age holding about the same number of films."""
    rows = []
    for i, (lo, hi) in enumerate(quantile_bands(age, bands)):
        m = (age >= lo) & ((age < hi) if i < bands - 1 else (age <= hi))
        if m.any():
            rows.append((float(age[m].min()), float(age[m].max()), int(refused[m].sum()), int(m.sum())))
    return rows


def summarise(
    labels: np.ndarray, age: np.ndarray, refused: np.ndarray, scores: dict[str, np.ndarray]
) -> dict:
    """The figures ``main`` prints, from arrays (one entry per film)."""
    labels, age, refused = np.asarray(labels, int), np.asarray(age, float), np.asarray(refused, bool)
    out = {
        "by_class": {c: (int(refused[labels == c].sum()), int((labels == c).sum())) for c in (0, 1)},
        "refused_age_percentiles": sorted(np.round(percentile_ranks(age)[refused], 1).tolist()),
        "bands": band_shares(refused, age),
        "rho": {},
    }
    for name, s in scores.items():
        s = np.asarray(s, float)
        for c in (0, 1):
            m = (labels == c) & np.isfinite(s)
            out["rho"][(name, c)] = float(spearmanr(s[m], age[m]).statistic) if m.sum() > 2 else float("nan")
    return out


def refused_by(checks: list[CheckResult]) -> str:
    """The deciding check's name, with the learned gate's class when it gave one."""
    c = first_refusal(checks)
    if c is None:
        return "another rule"
    return f"{c.check} ({c.label})" if c.label else c.check


def screen_validation(model: Path, apparent: dict[str, float]) -> list[dict]:
    """One row per validation film: label, batch, apparent age, refused, reason and check scores."""
    from pneumoscan.screener import Screener
    from training import split
    from training.scope_eval import screen_all

    _, val = split.split_items(split.list_images(DATA / "chest_xray" / "train"), split.load_split())
    missing = [p for p, _ in val if str(p.resolve()) not in apparent]
    if missing:
        raise SystemExit(f"{len(missing)} validation films have no apparent age ({missing[0].name} first)")
    results = screen_all(Screener(model, threads=2), [p for p, _ in val], "validation films")
    rows = []
    for (p, y), r in zip(val, results):
        scores = {c.check: c.score for c in r.checks if c.check in SCORES and c.score is not None}
        rows.append(
            {
                "label": int(y),
                "batch": split.acquisition_batch(p.name),
                "age": apparent[str(p.resolve())],
                "refused": bool(r.out_of_scope),
                "refused_by": refused_by(r.checks) if r.out_of_scope else "",
                **scores,
            }
        )
    return rows


def report(rows: list[dict]) -> list[str]:
    y = np.array([r["label"] for r in rows])
    age = np.array([r["age"] for r in rows])
    refused = np.array([r["refused"] for r in rows])
    scores = {k: np.array([r.get(k, np.nan) for r in rows], float) for k in SCORES}
    s = summarise(y, age, refused, scores)
    lines = [f"refused, {name}: {rate(*s['by_class'][c])}" for c, name in ((0, "normal"), (1, "pneumonia"))]
    batches = Counter(r["batch"] for r in rows)
    for b in sorted(batches):
        lines.append(
            f"refused, batch {b}: {rate(sum(r['refused'] for r in rows if r['batch'] == b), batches[b])}"
        )
    lines.append("| apparent age band (years) | refused |")
    lines.append("| --- | --- |")
    lines += [f"| {lo:.1f} to {hi:.1f} | {rate(k, n)} |" for lo, hi, k, n in s["bands"]]
    lines.append(f"refused films' apparent-age percentiles: {s['refused_age_percentiles']}")
    by = Counter(r["refused_by"] for r in rows if r["refused"])
    lines.append("refused by: " + "; ".join(f"{n} x {w}" for w, n in by.most_common()))
    for (name, c), rho in s["rho"].items():
        lines.append(f"Spearman with apparent age, {name}, {'pneumonia' if c else 'normal'}: {rho:+.2f}")
    return lines


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline
    from training.age_balance import load as apparent_ages

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--apparent", type=Path, required=True, help="training.age_reader --out CSV")
    ap.add_argument("--model", type=Path, default=Path("assets/model.json"))
    args = ap.parse_args(argv)
    print("\n".join(report(screen_validation(args.model, apparent_ages(args.apparent)))))


if __name__ == "__main__":
    main()
