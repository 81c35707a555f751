"""``python -m training.scope_union_loso FOLDS_1 FOLDS_2``: both shipped gates, each source left out.

The shipped pipeline refuses a film when either learned gate refuses (or a tag, pixel or distance
check does). Each gate's own leave-one-source-out figure says little about the pair: what a new
site should expect is the union, with each scope image scored by two gates that never saw its
source. ``FOLDS_1`` and ``FOLDS_2`` are run folders of ``train_scope --folds-only`` (the first
gate's recipe, and the second's with ``--hospitals``); the thresholds are the shipped ones
(``assets/scope_gate.json``), as they would be for a gate trained without that source. Tags, pixels
and the distance check learn nothing from the scope set, so adding them is honest.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from pneumoscan.scope.classifier import HOSPITALS_NAME, NAME
from training import scope_data


@dataclass
class Counts:
    """Images of one class (and source), and how many each combination refuses."""

    images: int = 0
    first: int = 0
    second: int = 0
    union: int = 0
    pipeline: int = 0
    sources: set[str] = field(default_factory=set)

    def add(self, other: Counts) -> None:
        self.images += other.images
        self.first += other.first
        self.second += other.second
        self.union += other.union
        self.pipeline += other.pipeline
        self.sources |= other.sources


def fold_scores(run: Path) -> dict[str, tuple[str, float]]:
    """Scope image path -> (left-out source, in-scope probability from the fold without it)."""
    scores = {}
    for done in sorted((run / "loso").glob("*.json")):
        for path, probs in json.loads(done.read_text()).items():
            scores[path] = (done.stem, float(probs[0]))
    return scores


def union_counts(
    classes: dict[str, str],
    first: dict[str, tuple[str, float]],
    second: dict[str, tuple[str, float]],
    thresholds: tuple[float, float],
    fixed_refusals: set[str],
) -> dict[tuple[str, str], Counts]:
    """Count by class and left-out source, over the images both runs scored.

    ``fixed_refusals`` are the images a check that learns nothing from the scope set refuses.
    """
    counts: dict[tuple[str, str], Counts] = {}
    for path in sorted(set(first) & set(second)):
        c = counts.setdefault((classes[path], first[path][0]), Counts())
        one, two = first[path][1] < thresholds[0], second[path][1] < thresholds[1]
        c.images += 1
        c.first += one
        c.second += two
        c.union += one or two
        c.pipeline += one or two or path in fixed_refusals
        c.sources.add(first[path][0])
    return counts


def table(counts: dict[tuple[str, str], Counts]) -> list[str]:
    """A row per class and left-out source, and a row for the class when it has several."""

    def pct(k: int, n: int) -> str:
        return f"{k} ({k / n:.1%})"

    def row(cls: str, c: Counts) -> str:
        return (
            f"| {cls} | {', '.join(sorted(c.sources))} | {c.images} | {pct(c.first, c.images)} "
            f"| {pct(c.second, c.images)} | {pct(c.union, c.images)} | {pct(c.pipeline, c.images)} |"
        )

    lines = [
        "| class | source left out | images | first gate | second gate | either gate "
        "| whole pipeline (either gate, tags, pixels, distance) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for cls in sorted({cls for cls, _ in counts}):
        rows = [c for (k, _), c in sorted(counts.items()) if k == cls]
        lines += [row(cls, c) for c in rows]
        if len(rows) > 1:
            total = Counts()
            for c in rows:
                total.add(c)
            lines.append(row(f"**{cls}, all**", total))
    return lines


def fixed_check_refusals(assets: Path, paths: list[str]) -> set[str]:
    """The images the shipped checks other than the two learned gates refuse."""
    from pneumoscan.scope import REFUSE
    from pneumoscan.screener import Screener

    screener = Screener(assets / "model.json", threads=2)
    return {
        str(r.path)
        for r in screener.screen([Path(p) for p in paths])
        if any(c.verdict == REFUSE and c.check not in (NAME, HOSPITALS_NAME) for c in r.checks)
    }


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="Both learned gates left one source out, as shipped.")
    ap.add_argument("first", type=Path, help="train_scope --folds-only run of the first gate's recipe")
    ap.add_argument("second", type=Path, help="the same with --hospitals (the second gate's recipe)")
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--scope", type=Path, default=Path("../shared/data/scope"))
    args = ap.parse_args(argv)
    gate = json.loads((args.assets / "scope_gate.json").read_text())
    thresholds = (gate["classifier"]["threshold"], gate["classifier_hospitals"]["threshold"])
    first, second = fold_scores(args.first), fold_scores(args.second)
    classes = {str(it.path): it.scope_class for it in scope_data.scope_items(args.scope)}
    both = sorted(set(first) & set(second))
    if not both:
        raise SystemExit("the two runs share no left-out source")
    counts = union_counts(classes, first, second, thresholds, fixed_check_refusals(args.assets, both))
    print(f"thresholds: first gate {thresholds[0]:.4f}, second gate {thresholds[1]:.4f}")
    print("\n".join(table(counts)))


if __name__ == "__main__":
    main()
