"""``python -m training.age_probe RUN...``: does a model's score at a hospital it never saw follow the patient's age?

Why: the runs that left Shenzhen out order its films alike (``training.ensemble_eval``: a mean
Spearman correlation of 0.85 between two runs) and yet at chance for tuberculosis. Something
they share orders the films. Shenzhen gives each patient's age (1-89), and an older chest looks
different (calcified cartilage, a wider mediastinum, denser markings); the training adults are
mostly abnormal once Hannover's COVID-19 films (adults, all abnormal) join, so "older-looking" may
read as "abnormal". If so, the score rises with age among films of one label, and within a band
of ages the ranking is no better than chance. (Measured, ``docs/hospitals.md``, thirtieth: it does,
and as much without any adult film in training: the reading is learned from Guangzhou's children.)

For each run and for the runs' average (each run's logits standardised by its own Guangzhou
validation logits, as in ``ensemble_eval``), on the held-out films with an age in
``other_hospitals/manifest.csv``: the Spearman correlation of the score with age (all films, the
normal films alone, the abnormal ones alone), the AUC of the score, the AUC of age alone, and the
AUC within age bands (only an abnormal and a normal film of the same band are compared: the
ranking with age held fixed).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from training.blend_eval import prediction_rows
from training.ensemble_eval import validation_scale

DATA = Path("../shared/data")
BANDS = ((0, 18), (18, 30), (30, 45), (45, 60), (60, 200))  # years, lower bound included


def ages(data: Path) -> dict[str, float]:
    """Each NLM film's age by its resolved path (films without an age left out)."""
    root = data / "other_hospitals"
    out = {}
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            a = row.get("age", "").strip()
            if a.replace(".", "", 1).isdigit():
                out[str((root / row["path"]).resolve())] = float(a)
    return out


def banded_auc(y: np.ndarray, s: np.ndarray, age: np.ndarray, bands=BANDS) -> float:
    """AUC over the pairs of an abnormal and a normal film in the same age band."""
    won = pairs = 0.0
    for lo, hi in bands:
        m = (age >= lo) & (age < hi)
        n1, n0 = int(y[m].sum()), int((1 - y[m]).sum())
        if n1 and n0:
            won += roc_auc_score(y[m], s[m]) * n1 * n0
            pairs += n1 * n0
    return won / pairs if pairs else float("nan")


def _rho(a: np.ndarray, b: np.ndarray) -> float:
    return float(spearmanr(a, b).statistic) if len(a) > 2 else float("nan")


def quantile_bands(age: np.ndarray, n: int = 5) -> tuple[tuple[float, float], ...]:
    """Bands holding about the same number of films each (for apparent ages, which have no
    natural bands)."""
    edges = np.quantile(age, np.linspace(0, 1, n + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    return tuple((float(lo), float(hi)) for lo, hi in zip(edges[:-1], edges[1:]))


def probe(y: np.ndarray, s: np.ndarray, age: np.ndarray, bands=BANDS) -> dict[str, float]:
    """One model's scores against the films' ages."""
    return {
        "films": len(y),
        "rho_age": _rho(s, age),
        "rho_age_normal": _rho(s[y == 0], age[y == 0]),
        "rho_age_abnormal": _rho(s[y == 1], age[y == 1]),
        "auc": float(roc_auc_score(y, s)),
        "auc_age_alone": float(roc_auc_score(y, age)),
        "auc_within_bands": banded_auc(y, s, age, bands),
    }


def age_range(text: str) -> tuple[float, float]:
    """``LO-HI`` in years, HI excluded (``0-18``)."""
    lo, sep, hi = text.partition("-")
    try:
        low, high = float(lo), float(hi)
    except ValueError:
        low = high = float("nan")
    if not sep or not low < high:
        raise SystemExit(f"--ages {text!r}: give LO-HI in years with LO below HI, e.g. 0-18")
    return low, high


def load(
    runs: list[Path], known: dict[str, float], films: str = "heldout_hospital_predictions.csv"
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Labels, ages and each run's standardised scores of the films that have an age: the held-out
    hospital's, or with ``films="val_predictions.csv"`` Guangzhou's validation films."""
    helds = [prediction_rows(r / films) for r in runs]
    paths = sorted(p for p in helds[0] if str(Path(p).resolve()) in known)
    if not paths:
        raise SystemExit(f"{runs[0]}: no film of {films} has an age")
    y = np.array([int(helds[0][p]["label"]) for p in paths])
    age = np.array([known[str(Path(p).resolve())] for p in paths])
    scores = {}
    for r, h in zip(runs, helds):
        if not set(paths) <= set(h):
            raise SystemExit(f"{r}: does not hold out the same films as {runs[0]}")
        mu, sd = validation_scale(r)
        scores[str(r)] = (np.array([float(h[p]["logit"]) for p in paths]) - mu) / sd
    return y, age, scores


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+", help="runs holding out the same hospital (one with ages)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--ages", default="", help="only films of these ages, as LO-HI years (HI excluded), e.g. 0-18"
    )
    ap.add_argument(
        "--apparent",
        type=Path,
        help="Guangzhou's validation films against their apparent age (training.age_reader --out CSV), "
        "in five bands of equal size",
    )
    args = ap.parse_args(argv)
    if args.apparent:
        from training.age_balance import load as apparent_ages

        known, films = apparent_ages(args.apparent), "val_predictions.csv"
    else:
        known, films = ages(args.data), "heldout_hospital_predictions.csv"
    if args.ages:
        lo, hi = age_range(args.ages)
        known = {p: a for p, a in known.items() if lo <= a < hi}
    y, age, scores = load(args.runs, known, films)
    bands = quantile_bands(age) if args.apparent else BANDS
    if len(set(y)) < 2:
        raise SystemExit(f"only one label among these {len(y)} films: no ranking to measure")
    if len(scores) > 1:
        scores["average of all"] = np.mean(list(scores.values()), axis=0)
    print(
        f"{len(y)} {'validation' if args.apparent else 'held-out'} films with an age ({int(y.sum())} abnormal), ages {age.min():.0f}-{age.max():.0f}, "
        f"median {np.median(age[y == 0]):.0f} normal, {np.median(age[y == 1]):.0f} abnormal"
    )
    print(
        "| model | Spearman with age: all; normal; abnormal | AUC | AUC of age alone | AUC within age bands |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, s in scores.items():
        f = probe(y, s, age, bands)
        print(
            f"| {name} | {f['rho_age']:+.2f}; {f['rho_age_normal']:+.2f}; {f['rho_age_abnormal']:+.2f} "
            f"| {f['auc']:.3f} | {f['auc_age_alone']:.3f} | {f['auc_within_bands']:.3f} |"
        )


if __name__ == "__main__":
    main()
