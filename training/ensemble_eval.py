"""``python -m training.ensemble_eval RUN...``: many runs holding out one hospital, averaged.

Why: twenty-nine recipes left one hospital out rank it within the same range (Shenzhen's adults
0.42-0.54 with nothing chosen on them), each run a little above or below the others. If a run's
miss at the held-out hospital were its own (seed, recipe, the path its weights took), an average of
many different runs would rank better than each, as deep ensembles do on shifted data. If every
run misses alike, the average stays where they are: the failure is shared, and no further recipe
of the same kind is likely to mend it.

Each run's logits are standardised by the mean and spread of its own Guangzhou validation logits
before the average, since recipes put logits on different scales (spectral decoupling halves
them) and a plain mean would be the widest run's. Then, for every run alone and for the average:
AUC with a 95% stratified bootstrap interval, and sensitivity and specificity (exact intervals) at
the clean validation threshold for sensitivity 0.98 (the shipped default's rule), on Guangzhou's
validation films and on the held-out hospital, children and adults apart; and how alike the runs
order each group's films (mean Spearman correlation between two runs).

Reads only the runs' prediction files (``val_predictions.csv``, ``heldout_hospital_predictions.csv``);
nothing is scored again. The runs must hold out the same hospital and list the same films.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from training.blend_eval import figures, figures_table, paired_films, prediction_rows

CLEAN = "Guangzhou validation"
ENSEMBLE = "average of all"


def validation_scale(run: Path) -> tuple[float, float]:
    """The mean and spread of a run's Guangzhou validation logits: its scale, to put runs side by side."""
    z = np.array([float(r["logit"]) for r in prediction_rows(run / "val_predictions.csv").values()])
    return float(z.mean()), float(z.std())


def load(runs: list[Path]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Labels per group and, per group, each run's standardised logits (runs x films)."""
    if len(runs) < 2:
        raise SystemExit("give two runs or more, each holding out the same hospital")
    vals = [prediction_rows(r / "val_predictions.csv") for r in runs]
    helds = [prediction_rows(r / "heldout_hospital_predictions.csv") for r in runs]
    vpaths, hpaths = sorted(vals[0]), sorted(helds[0])
    for v, h in zip(vals[1:], helds[1:]):
        paired_films(vals[0], v, "validation")
        paired_films(helds[0], h, "held-out hospital")
    groups = {CLEAN: vpaths}
    for p in hpaths:
        r = helds[0][p]
        age = {"1": "children", "0": "adults"}.get(r["child"], "age not given")
        groups.setdefault(f"{r['hospital']} (held out), {age}", []).append(p)
    labels, logits = {}, {}
    for name, ps in groups.items():
        src = vals if name == CLEAN else helds
        labels[name] = np.array([int(src[0][p]["label"]) for p in ps])
        logits[name] = np.array([[float(s[p]["logit"]) for p in ps] for s in src])
    mu = logits[CLEAN].mean(axis=1, keepdims=True)
    sd = logits[CLEAN].std(axis=1, keepdims=True)
    return labels, {k: (z - mu) / sd for k, z in logits.items()}


def agreement(z: np.ndarray) -> float:
    """The mean Spearman correlation between two runs' scores of the same films (runs x films):
    near 1, the runs order these films alike, so their average can order them no better."""
    rho = spearmanr(z, axis=1).statistic
    if np.ndim(rho) == 0:  # two runs: SciPy gives their one correlation, not a matrix
        return float(rho)
    return float(rho[np.triu_indices(len(z), k=1)].mean())


def evaluate(runs: list[Path]) -> dict[str, dict]:
    """Each run alone (by its path), the average of all (``ENSEMBLE``) and the runs' agreement."""
    labels, z = load(runs)
    res = {str(r): figures(labels, {k: v[i] for k, v in z.items()}, CLEAN) for i, r in enumerate(runs)}
    res[ENSEMBLE] = figures(labels, {k: v.mean(axis=0) for k, v in z.items()}, CLEAN)
    for name, f in res[ENSEMBLE].items():
        f["agreement"] = agreement(z[name])
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+", help="runs holding out the same hospital")
    ap.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = ap.parse_args(argv)
    res = evaluate(args.runs)
    print(figures_table(res, "model"))
    print()
    print("| group | agreement between runs (mean Spearman) |")
    print("| --- | --- |")
    for name, f in res[ENSEMBLE].items():
        print(f"| {name} | {f['agreement']:.2f} |")
    if args.out:
        args.out.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
