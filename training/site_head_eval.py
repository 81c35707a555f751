"""``python -m training.site_head_eval RUN...``: what ``validate --adapt`` buys at a hospital the model never saw.

A leave-one-hospital-out run's features of its held-out hospital (``training.head_refit``'s cache)
stand in for a new site. ``n`` of its films, drawn at random, are the films a site's readers
labelled; on them the core's own code does what ``pneumoscan validate --adapt`` does (the L2
strength by grouped cross-validation, the robust threshold for the target sensitivity on the
out-of-fold scores (``--target``, as ``validate --target-sensitivity``; the screening 0.98 unless
told), the head fitted on all ``n``). The head and its threshold are then judged on the
hospital's other films, the ones the site screens next; beside them the trained head at the
Guangzhou rule (the shipped default's rule) on the same films. Repeated over ``--draws`` draws:
medians and 5th-95th percentiles. Features are the Keras model's (the product reads the INT8
model's, which match them to the parity the convert step checks).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SIZES = (40, 80, 120, 240)
MIN_REST = 30  # fewer films left to judge on than this, and a size is not reported
DRAWS = 10


def _rates(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float, float]:
    flagged = s >= t
    return float(flagged[y == 1].mean()), float((~flagged[y == 0]).mean())


def _target(target: float | None) -> float:
    from training.evaluate import SCREENING_TARGET

    return SCREENING_TARGET if target is None else target


def site_draws(
    d: dict[str, np.ndarray], n: int, draws: int, seed: int = 0, target: float | None = None
) -> dict[str, np.ndarray]:
    """Per draw: AUC, sensitivity and specificity on the unlabelled rest, adapted and trained head.

    Each film counts as its own patient (one film per patient at the NLM hospitals)."""
    from sklearn.metrics import roc_auc_score

    from pneumoscan.model.adapted_head import AdaptedHead, cross_validate
    from pneumoscan.validation.adaptation import robust_threshold
    from training.head_refit import guangzhou_rule

    target = _target(target)
    held = str(d["held_out"])
    rule = guangzhou_rule(d, d["logit"])
    site = np.flatnonzero(d["hospital"] == held)
    x, y, z = d["features"][site].astype(np.float64), d["label"][site], d["logit"][site]
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {k: [] for k in ("auc", "sens", "spec", "auc0", "sens0", "spec0")}
    for _ in range(draws):
        pick = rng.permutation(len(site))
        lab, rest = pick[:n], pick[n:]
        if len(set(y[lab])) < 2 or len(set(y[rest])) < 2:
            continue
        penalty, oof = cross_validate(x[lab], y[lab], lab)
        t = robust_threshold(y[lab], oof, target)
        p = AdaptedHead.fit(x[lab], y[lab], penalty).predict(x[rest])
        sens, spec = _rates(y[rest], p, t)
        sens0, spec0 = _rates(y[rest], z[rest], rule)
        for key, value in (
            ("auc", roc_auc_score(y[rest], p)),
            ("sens", sens),
            ("spec", spec),
            ("auc0", roc_auc_score(y[rest], z[rest])),
            ("sens0", sens0),
            ("spec0", spec0),
        ):
            out[key].append(float(value))
    return {k: np.array(v) for k, v in out.items()}


def _cell(v: np.ndarray, pct: bool) -> str:
    if len(v) == 0:
        return "-"
    lo, mid, hi = np.percentile(v, [5, 50, 95]) * (100 if pct else 1)
    return f"{mid:.1f}% ({lo:.0f}-{hi:.0f})" if pct else f"{mid:.3f} ({lo:.3f}-{hi:.3f})"


def report(d: dict[str, np.ndarray], sizes=SIZES, draws: int = DRAWS, target: float | None = None) -> str:
    held, target = str(d["held_out"]), _target(target)
    out = [
        f"**{held} as a new site**: adapted head on n labelled films (threshold for sensitivity "
        f"{target:g}) vs the trained head at the Guangzhou rule, judged on the site's other films (median, 5th-95th percentile over draws)",
        "",
        "| labelled films | AUC adapted | AUC trained | sens adapted | spec adapted | sens trained | spec trained |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    site = int((d["hospital"] == held).sum())
    for n in sizes:
        if site - n < MIN_REST:
            out.append(f"| {n} | (the site has {site} films: too few left to judge on) | | | | | |")
            continue
        r = site_draws(d, n, draws, target=target)
        out.append(
            f"| {n} ({len(r['auc'])} draws) | {_cell(r['auc'], False)} | {_cell(r['auc0'], False)} | "
            f"{_cell(r['sens'], True)} | {_cell(r['spec'], True)} | {_cell(r['sens0'], True)} | "
            f"{_cell(r['spec0'], True)} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline
    from training.head_refit import extract

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, nargs="+", help="leave-one-hospital-out run folders (with best.keras)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--draws", type=int, default=DRAWS)
    ap.add_argument(
        "--target", default=None, help="sensitivity targets for the site threshold, comma-separated"
    )
    args = ap.parse_args(argv)
    targets = [float(t) for t in args.target.split(",")] if args.target else [None]
    for run in args.run:
        print(f"## {run}\n")
        d = extract(run, args.data)
        for target in targets:
            print(report(d, draws=args.draws, target=target))


if __name__ == "__main__":
    main()
