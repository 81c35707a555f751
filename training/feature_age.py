"""``python -m training.feature_age RUN...``: how much age a run's pooled features still hold.

Why: the age-adversarial recipe (``--age-adversarial``, ``docs/hospitals.md`` thirty-second)
trains the features to lose how old a Guangzhou film looks within its class. Whether they did is
measured here, not assumed, and set beside a run without the adversary: a ridge regression from
the standardised pooled features to the age, fitted and read out of fold (5 folds) within one
hospital and class, and the Spearman correlation of its reading with the age. Guangzhou's films
(validation, and the training sample of ``head_refit.extract``) are read against their apparent
age (``training.age_reader`` CSV); the NLM hospitals' against the patient's age. A held-out
hospital's films are read too: the features never trained on them, the probe only reads them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

FOLDS = 5


def age_held(features: np.ndarray, age: np.ndarray, seed: int = 0) -> float:
    """Out-of-fold Spearman correlation of a ridge reading of age from the features with the age."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    reader = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 5, 13)))
    folds = KFold(FOLDS, shuffle=True, random_state=seed)
    read = cross_val_predict(reader, features, age, cv=folds)
    return float(spearmanr(read, age).statistic)


def features(run: Path, data: Path) -> dict[str, np.ndarray]:
    """``head_refit.extract``'s features of a run, with each film's path (to find its age)."""
    from training import head_refit

    d = head_refit.extract(run, data)
    if "path" not in d:
        raise SystemExit(f"{run}/head_features.npz predates film paths: delete it and run again")
    return d


def add_age_arguments(ap: argparse.ArgumentParser) -> None:
    """The run folders and where the ages come from (shared with ``training.age_nullspace``)."""
    ap.add_argument("run", type=Path, nargs="+", help="run folders with best.keras")
    ap.add_argument("--apparent", type=Path, required=True, help="training.age_reader CSV (Guangzhou)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))


def ages(args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    """Apparent age of Guangzhou's films, and the NLM patients' age, by resolved path."""
    from training import age_balance, age_probe

    return age_balance.load(args.apparent), age_probe.ages(args.data)


def groups(d: dict[str, np.ndarray], apparent: dict[str, float], known: dict[str, float]) -> list[dict]:
    """One row per (hospital, class) with enough films that have an age."""
    rows = []
    for hospital in dict.fromkeys(d["hospital"]):
        source = apparent if str(hospital).startswith("guangzhou") else known
        for label in (0, 1):
            m = (d["hospital"] == hospital) & (d["label"] == label)
            m &= np.array([p in source for p in d["path"]])
            if m.sum() < 4 * FOLDS:
                continue
            age = np.array([source[p] for p in d["path"][m]])
            rows.append(
                {
                    "hospital": str(hospital) + (" (held out)" if hospital == str(d["held_out"]) else ""),
                    "label": label,
                    "films": int(m.sum()),
                    "age": "apparent" if source is apparent else "patient",
                    "rho": age_held(d["features"][m], age),
                }
            )
    return rows


def render(run: Path, rows: list[dict]) -> str:
    lines = [
        f"## {run}",
        "",
        "| films | class | n | age | age read from the features (out-of-fold Spearman) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        kind = ("normal", "abnormal")[r["label"]]
        lines.append(f"| {r['hospital']} | {kind} | {r['films']} | {r['age']} | {r['rho']:+.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_age_arguments(ap)
    args = ap.parse_args(argv)
    apparent, known = ages(args)
    for run in args.run:
        print(render(run, groups(features(run, args.data), apparent, known)))


if __name__ == "__main__":
    main()
