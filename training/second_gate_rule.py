"""``python -m training.second_gate_rule``: how high the second gate's threshold can go, and what it buys.

The second gate refuses a film when its in-scope probability is below a threshold set at a
quantile of Guangzhou's validation films (0.5% today). Raising it refuses more adult films of
unseen sources, the issue's 85% bar (79.1% left one source out), and more in-scope films, the
issue's 1% bar on an unseen batch. Both sides are measured on films no gate saw:

- cost: gates trained without Guangzhou's second batch (``train_scope --hold-out-batch NORMAL2``,
  both recipes), each threshold set by the rule on their own validation, applied to the 744 films;
- gain: each adult source left out of both recipes (``train_scope --folds-only``), at the shipped
  first threshold and the second threshold the same rule gives on the shipped second gate (INT8,
  on the validation films it is applied to as shipped).

The rule is chosen on the cost side only (in-scope films); the adult figure is then read off.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from pneumoscan.validation.stats import clopper_pearson
from training import scope_batch, scope_data, scope_union_loso

ADULT = "adult_cxr"


def shipped_second_scores(assets: Path) -> tuple[np.ndarray, np.ndarray]:
    """The shipped second gate's in-scope probability on clean and shifted validation films."""
    return shipped_scores(assets / "scope_gate_hospitals.onnx")


def shipped_scores(onnx: Path) -> tuple[np.ndarray, np.ndarray]:
    """A shipped gate's in-scope probability on clean and shifted validation films."""
    from training import split
    from training.model_inputs import shifted_tensors, tensors
    from training.onnx_session import run_onnx

    _, val = split.split_items(split.list_images(Path("../shared/data/chest_xray/train")), split.load_split())
    return run_onnx(onnx, tensors([p for p, _ in val]))[:, 0], run_onnx(onnx, shifted_tensors(val))[:, 0]


def first_rule(share: float) -> tuple[float, float]:
    """The first gate's convert rule scaled: ``share`` of clean validation, 2.5 times it of shifted
    (the shipped 0.2% and 0.5%)."""
    clean, shifted = scope_batch.RULES["first"]
    return share, share * shifted / clean


def sweep(
    quantiles: list[float],
    batch_runs: tuple[dict, dict],
    shipped: tuple[np.ndarray, np.ndarray],
    t1: float,
    loso: tuple[dict, dict],
    classes: dict[str, str],
    fixed: set[str],
    children: tuple[np.ndarray, np.ndarray] | None = None,
    first: tuple[float, float] = scope_batch.RULES["first"],
) -> list[dict]:
    """One row per rule: the unseen batch's refusals and other hospitals' children assessed (cost),
    unseen adults refused (gain). ``children``: the batch runs' in-scope probabilities for
    Shenzhen's children aged 1-10 (first gate: never trained on Shenzhen; second: out of fold).
    ``first``: the first gate's rule on the batch runs; ``t1`` must be that rule's threshold on the
    shipped first gate."""
    rows = []
    for q in quantiles:
        batch = scope_batch.refusals(*batch_runs, second_rule=(q, q), first_rule=first)
        if children is not None:
            t1b, t2b = batch[0]["thresholds"]
            kids = int(((children[0] >= t1b) & (children[1] >= t2b)).sum())
        t2 = scope_batch.rule_threshold(*shipped, (q, q))
        counts = scope_union_loso.union_counts(classes, *loso, (t1, t2), fixed)
        adults = scope_union_loso.Counts()
        for (cls, _), c in counts.items():
            if cls == ADULT:
                adults.add(c)
        by_source = {src: c.pipeline / c.images for (cls, src), c in counts.items() if cls == ADULT}
        rows.append(
            {
                "first_rule": list(first),
                "first_threshold": t1,
                "quantile": q,
                "second_threshold": t2,
                "batch": batch[0]["either"],
                "batch_n": batch[0]["n"],
                "validation_refused": int((shipped[0] < t2).sum()),
                "shifted_refused": int((shipped[1] < t2).sum()),
                "validation_n": len(shipped[0]),
                "adults": adults.pipeline,
                "adults_n": adults.images,
                "adults_ci95": clopper_pearson(adults.pipeline, adults.images),
                "adults_by_source": by_source,
                "children_assessed": kids if children is not None else None,
                "children_n": len(children[0]) if children is not None else None,
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| first gate rule (clean; shifted) | first threshold (shipped gate) | second gate rule (share of validation) | threshold (shipped gate) | unseen batch refused, both gates | "
        "validation refused by the second gate (clean; shifted) | other hospital's children 1-10 assessed by both gates | "
        "adult frontal films of an unseen source refused (pipeline) | by source |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        b, (lo, hi) = r["batch"], r["adults_ci95"]
        kids = "-" if r["children_n"] is None else f"{r['children_assessed']} / {r['children_n']}"
        src = ", ".join(f"{k} {v:.1%}" for k, v in sorted(r["adults_by_source"].items()))
        lines.append(
            f"| {r['first_rule'][0]:.2%}; {r['first_rule'][1]:.2%} | {r['first_threshold']:.4f} | {r['quantile']:.1%} | {r['second_threshold']:.4f} | {b['refused']} / {r['batch_n']} "
            f"({b['share']:.2%}; {b['ci95'][0]:.2%}-{b['ci95'][1]:.2%}) | {r['validation_refused']} / "
            f"{r['validation_n']}; {r['shifted_refused']} | {kids} | {r['adults']} / {r['adults_n']} ({r['adults'] / r['adults_n']:.1%}; "
            f"{lo:.1%}-{hi:.1%}) | {src} |"
        )
    return "\n".join(lines)


def shenzhen_children(first_run: Path, second_scores: dict, out: Path) -> tuple[np.ndarray, np.ndarray]:
    """In-scope probabilities of Shenzhen's children aged 1-10: the first gate's (it never trained on
    Shenzhen) and the second's out of fold (``train_scope --hospitals`` wrote them)."""
    import keras

    from training.train_scope import p_in

    kids = [p for p, e in second_scores["hospitals"].items() if e["age"] is not None and e["age"] <= 10]
    cache = np.load(next(out.glob("scope-cache-hospitals-pool*.npz")), allow_pickle=False)
    films = [str(p) for p in cache["hosp_paths"]]
    x = cache["x_hosp"][[films.index(p) for p in kids]]
    first = p_in(keras.models.load_model(first_run / "gate.keras"), x)[:, 0]
    second = np.array([second_scores["hospitals"][p]["probs"][0] for p in kids])
    return first, second


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, runs in (("--batch", "--hold-out-batch"), ("--loso", "--folds-only")):
        ap.add_argument(
            flag,
            type=Path,
            nargs=2,
            required=True,
            metavar=("FIRST", "SECOND"),
            help=f"train_scope {runs} runs of the two recipes",
        )
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--scope", type=Path, default=Path("../shared/data/scope"))
    ap.add_argument(
        "--children",
        action="store_true",
        help="also count Shenzhen's children 1-10 assessed (the SECOND batch run resumed with --hospitals folds)",
    )
    ap.add_argument("--quantiles", default="0.005,0.01,0.015,0.02,0.03")
    ap.add_argument(
        "--first-shares",
        default="0.002",
        help="the first gate's rule at these shares of clean validation (2.5x of shifted); 0.002 as shipped",
    )
    args = ap.parse_args(argv)
    batch_runs = tuple(json.loads((r / "scores.json").read_text()) for r in args.batch)
    loso = tuple(scope_union_loso.fold_scores(r) for r in args.loso)
    both = sorted(set(loso[0]) & set(loso[1]))
    if not both:
        raise SystemExit("the two fold runs share no left-out source")
    gate = json.loads((args.assets / "scope_gate.json").read_text())
    classes = {str(it.path): it.scope_class for it in scope_data.scope_items(args.scope)}
    fixed = scope_union_loso.fixed_check_refusals(args.assets, both)
    kids = shenzhen_children(args.batch[0], batch_runs[1], args.batch[1].parent) if args.children else None
    second, first = shipped_second_scores(args.assets), shipped_scores(args.assets / "scope_gate.onnx")
    rows = []
    for share in (float(f) for f in args.first_shares.split(",")):
        rule = first_rule(share)
        t1 = scope_batch.rule_threshold(*first, rule)
        quantiles = [float(q) for q in args.quantiles.split(",")]
        print(
            f"first gate, rule {rule[0]:.2%}; {rule[1]:.2%}: {t1:.4f} (shipped {gate['classifier']['threshold']:.4f})"
        )
        rows += sweep(quantiles, batch_runs, second, t1, loso, classes, fixed, kids, rule)
    (args.batch[1] / "second_gate_rule.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
