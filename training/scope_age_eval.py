"""``python -m training.scope_age_eval RUN...``: what a scope gate trained without a batch refuses,
of that batch, of validation, and of hospitals it never saw (stop 57).

Why: weighing up older-looking children (``train_scope --age-weight``) is meant to let an unseen
batch's older children through, and may let adults through with them. Each run here was trained
with ``--hold-out-batch``; its threshold is set by the convert rule on its own validation, and the
same threshold is applied to the batch (split by apparent age), to Shenzhen's and Montgomery's
films through the run's own ``gate.keras``, and, with ``--union``, to two runs together as the
pipeline uses them (a film is refused when either gate refuses). A run that trained on Shenzhen
(``--hospitals``) is in sample there, and says so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pneumoscan.validation.stats import clopper_pearson
from training import age_balance, scope_batch


def load(run: Path) -> dict:
    try:
        scores = json.loads((run / "scores.json").read_text())
        cfg = json.loads((run / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{run}: not a finished train_scope run ({exc})") from exc
    if "held_out_batch" not in scores:
        raise SystemExit(f"{run}: not trained with --hold-out-batch")
    return {"run": run, "scores": scores, "hospitals": bool(cfg.get("hospitals")), "cfg": cfg}


def rule_of(run: dict, second_share: float) -> tuple[float, float]:
    return (second_share, second_share) if run["hospitals"] else scope_batch.RULES["first"]


def hospital_films(data: Path) -> tuple[list[dict], np.ndarray]:
    """Every NLM film, squashed (uint8, 224 x 224; no augmentation: they are only scored here)."""
    from training import scope_data, scope_hospitals

    films = scope_hospitals.hospital_films(data)
    u8 = np.stack(
        [scope_data.squash_file(Path(f["path"])) for f in tqdm(films, desc="NLM films", leave=False)]
    )
    return films, u8


def pool_of(run: dict) -> int:
    """The run's gate input size (``train_scope --pool``): its NLM inputs are pooled alike."""
    from training import scope_data

    return int(run["cfg"].get("pool", scope_data.POOL))


def groups(films: list[dict]) -> dict[str, tuple[np.ndarray, str]]:
    """Masks of the NLM groups, and whether the figure counts refusals or assessments."""
    age = np.array([f["age"] if f["age"] is not None else np.nan for f in films])
    hosp = np.array([f["hospital"] for f in films])
    return {
        "Montgomery (adults mostly) refused": (hosp == "montgomery", "refused"),
        "Shenzhen adults refused": ((hosp == "shenzhen") & (age >= 18), "refused"),
        "Shenzhen children 1-10 assessed": ((hosp == "shenzhen") & (age <= 10), "assessed"),
        "Shenzhen children 11-17 assessed": ((hosp == "shenzhen") & (age > 10) & (age < 18), "assessed"),
    }


def _cell(k: int, n: int) -> str:
    lo, hi = clopper_pearson(k, n)
    return f"{k} / {n} ({k / n:.2%}; {lo:.1%}-{hi:.1%})"


def label(run: dict) -> str:
    recipe = "age-weighted" if run["cfg"].get("age_weight") else "shipped recipe"
    gate = (
        "first and second gates"
        if run.get("mixed")
        else ("second" if run["hospitals"] else "first") + " gate"
    )
    return f"{run['run'].name} ({gate}, {recipe})"


def probabilities(run: dict, u8_hosp: np.ndarray) -> dict[str, np.ndarray]:
    """The run's in-scope probability of the batch, of validation (clean, shifted) and of the NLM films."""
    import keras

    from training import scope_data
    from training.train_scope import p_in

    s = run["scores"]
    core = keras.models.load_model(run["run"] / "gate.keras")
    return {
        "never": never_trained_adults(s),
        "batch": np.asarray(s["held_out_batch"]["probs"])[:, 0],
        "val": np.asarray(s["val"])[:, 0],
        "val_shifted": np.asarray(s["val_shifted"])[:, 0],
        "hosp": p_in(core, scope_data.to_input(u8_hosp, pool_of(run)))[:, 0],
    }


def never_trained_adults(scores: dict) -> np.ndarray:
    """In-scope probabilities of the scope set's adult frontal films from sources no gate trains on
    (licence-restricted), in path order: unseen adults from many hospitals beside Montgomery."""
    scope = scores.get("scope", {})
    keys = sorted(
        k
        for k, v in scope.items()
        if v["class"] == "adult_cxr" and not v["train_ok"] and v["scored_by"].startswith("full")
    )
    return np.array([scope[k]["probs"][0] for k in keys], dtype=float)


def mean_of(members: list[dict]) -> dict[str, np.ndarray]:
    """Several gates' in-scope probabilities averaged on the log-odds scale.

    Why: two seeds of one recipe differ by up to 20 of Montgomery's 138 films at the same cost to
    the batch (stop 58), more than any recipe change did, and averaging is the usual cure for that
    spread; the first and the second gate averaged are one score in place of "either refuses".
    Both are measured here before a gate file would be shipped for them.
    """
    from pneumoscan.scope.site_gate import logit

    return {k: 1.0 / (1.0 + np.exp(-np.mean([logit(m[k]) for m in members], axis=0))) for k in members[0]}


def refused_below(probs: dict[str, np.ndarray], t: float) -> dict[str, np.ndarray]:
    return {k: v < t for k, v in probs.items()}


def matched_threshold(p_batch: np.ndarray, k: int) -> float:
    """The threshold at which a gate refuses ``k`` films of the batch (its k+1-th lowest score):
    two recipes compared at the same cost to the batch, rather than each at its own rule."""
    return float(np.sort(p_batch)[k])


def rows(name: str, refused: dict, batch_paths: list[str], ages: dict, films: list[dict]) -> list[str]:
    """Markdown cells for one gate (or a union): the batch, its oldest-looking fifth, validation, NLM groups."""
    b = refused["batch"]
    age = np.array([ages.get(str(Path(p).resolve()), np.nan) for p in batch_paths])
    top = age >= np.nanquantile(age, 0.8)
    cells = [
        _cell(int(b.sum()), len(b)),
        f"{int(b[top].sum())} / {int(top.sum())}; {int(b[~top].sum())} / {int((~top).sum())}",
        f"{int(refused['val'].sum())}; {int(refused['val_shifted'].sum())} of {len(refused['val'])}",
    ]
    for mask, kind in groups(films).values():
        k = int(refused["hosp"][mask].sum())
        cells.append(_cell(k if kind == "refused" else int(mask.sum()) - k, int(mask.sum())))
    never = refused["never"]
    cells.append(_cell(int(never.sum()), len(never)) if len(never) else "-")
    return [name, *cells]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+", help="scope runs trained with --hold-out-batch")
    ap.add_argument("--apparent", type=Path, required=True, help="apparent ages (training.age_reader CSV)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--second-share", type=float, default=0.01, help="the second gate's rule (shipped: 1%%)")
    ap.add_argument(
        "--match-batch",
        default="",
        help="comma-separated counts: also each run at the threshold refusing that many of the batch",
    )
    ap.add_argument(
        "--union",
        nargs=2,
        type=int,
        action="append",
        default=[],
        metavar=("I", "J"),
        help="also report runs I and J (0-based; the --mean gates follow the runs) together, refused when either refuses",
    )
    ap.add_argument(
        "--mean",
        action="append",
        default=[],
        metavar="I,J[,K...]",
        help="also report runs I, J... (0-based) averaged on the log-odds scale; a mean of the first and the "
        "second gate's recipes is read at the second gate's rule (one threshold instead of either gate refusing)",
    )
    args = ap.parse_args(argv)
    runs = [load(r) for r in args.runs]
    try:
        means = [[int(v) for v in m.split(",")] for m in args.mean]
    except ValueError:
        raise SystemExit("--mean: comma-separated run numbers, e.g. 0,2") from None
    if any(len(m) < 2 or not all(0 <= i < len(runs) for i in m) for m in means):
        raise SystemExit(f"--mean: at least two run numbers, each from 0 to {len(runs) - 1}")
    paths = runs[0]["scores"]["held_out_batch"]["paths"]
    if any(r["scores"]["held_out_batch"]["paths"] != paths for r in runs):
        raise SystemExit("the runs held out different films")
    n_all = len(runs) + len(means)  # the means are numbered after the runs, in order
    bad_union = [pair for pair in args.union if not all(0 <= i < n_all for i in pair)]
    if bad_union:
        raise SystemExit(f"--union {bad_union[0]}: runs (then means) are numbered 0 to {n_all - 1}")
    try:
        counts = [int(v) for v in args.match_batch.split(",") if v]
    except ValueError:
        raise SystemExit(f"--match-batch {args.match_batch!r}: comma-separated counts, e.g. 7,10") from None
    if any(not 0 <= k < len(paths) for k in counts):
        raise SystemExit(f"--match-batch: a count must be between 0 and {len(paths) - 1} (the batch's films)")
    ages = age_balance.load(args.apparent)
    films, u8_hosp = hospital_films(args.data)
    head = [
        "gate",
        "unseen batch refused",
        "of it: oldest-looking fifth; the rest",
        "validation refused: clean; shifted",
    ]
    head += [*groups(films), "adult frontal films no gate trained on refused"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    masks, probs = [], []
    for r in runs:
        probs.append(probabilities(r, u8_hosp))
        t = scope_batch.rule_threshold(
            probs[-1]["val"], probs[-1]["val_shifted"], rule_of(r, args.second_share)
        )
        masks.append(refused_below(probs[-1], t))
        name = f"{label(r)}, its rule ({t:.4f})"
        lines.append("| " + " | ".join(rows(name, masks[-1], paths, ages, films)) + " |")
    for m in means:
        kinds = {runs[i]["hospitals"] for i in m}
        r = {
            "run": Path("mean of " + " and ".join(runs[i]["run"].name for i in m)),
            "hospitals": any(kinds),  # a mixed mean takes the second gate's rule
            "mixed": len(kinds) > 1,
            "cfg": runs[m[0]]["cfg"],
        }
        runs.append(r)
        probs.append(mean_of([probs[i] for i in m]))
        t = scope_batch.rule_threshold(
            probs[-1]["val"], probs[-1]["val_shifted"], rule_of(r, args.second_share)
        )
        masks.append(refused_below(probs[-1], t))
        lines.append(
            "| " + " | ".join(rows(f"{label(r)}, its rule ({t:.4f})", masks[-1], paths, ages, films)) + " |"
        )
    for i, j in args.union:
        both = {k: masks[i][k] | masks[j][k] for k in masks[i]}
        name = f"either of {runs[i]['run'].name} and {runs[j]['run'].name}"
        lines.append("| " + " | ".join(rows(name, both, paths, ages, films)) + " |")
    for k in counts:
        for r, p in zip(runs, probs):
            t = matched_threshold(p["batch"], k)
            name = f"{label(r)}, {k} of the batch ({t:.4f})"
            lines.append("| " + " | ".join(rows(name, refused_below(p, t), paths, ages, films)) + " |")
    note = [r["run"].name for r in runs if r["hospitals"]]
    print("\n".join(lines))
    if note:
        print(f"\nShenzhen is in sample for {', '.join(note)} (trained with --hospitals).")


if __name__ == "__main__":
    main()
