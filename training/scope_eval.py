"""``python -m training.scope_eval runs/scope-<time>``: the scope gate's figures, as shipped.

- validation films (patient-wise split): share marked out of scope, by check,
  through the real ``Screener``; the same for the shifted validation copy
  (stage-2 checks on the arrays, pixel checks on the squashed films);
- the scope set by class and by source, leave-one-source-out: every check as
  shipped, except that the learned gate's verdict for an image comes from the
  fold model that never saw the image's source (``scores.json``);
- pydicom's bundled test files: the status of each one.
Writes ``<run>/scope_eval.json`` and prints Markdown tables for the README. Without a run (its
folder pruned, say) only the validation films and pydicom's files are screened: what a threshold
change moves on Guangzhou's own films.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pneumoscan.scope import REFUSE
from pneumoscan.scope.classifier import NAME as CLASSIFIER

DATA = Path("../shared/data")


def screen_all(screener, paths: list[Path], desc: str) -> list:
    return list(tqdm(screener.screen(paths), total=len(paths), desc=desc))


def refusing_checks(result, loso_p_in: float | None = None, threshold: float = 0.0) -> list[str]:
    """Names of the checks that refuse; the classifier's verdict replaced by a fold score if given."""
    names = [c.check for c in result.checks if c.verdict == REFUSE and c.check != CLASSIFIER]
    if loso_p_in is not None:
        if loso_p_in < threshold:
            names.append(CLASSIFIER)
    elif any(c.check == CLASSIFIER and c.verdict == REFUSE for c in result.checks):
        names.append(CLASSIFIER)
    return names


def validation(screener) -> dict:
    from training import split

    items = split.list_images(DATA / "chest_xray" / "train")
    _, val = split.split_items(items, split.load_split())
    results = screen_all(screener, [p for p, _ in val], "validation films")
    by_check = Counter(n for r in results for n in refusing_checks(r))
    out = {
        "films": len(results),
        "out_of_scope": sum(r.out_of_scope for r in results),
        "by_check": dict(by_check),
        "refused_files": [f"{r.path.name}: {r.reason}" for r in results if r.out_of_scope],
    }
    out["shifted"] = shifted_validation(screener, val)
    return out


def shifted_validation(screener, val) -> dict:
    from pneumoscan.model.preprocess import InputSpec, equalize
    from pneumoscan.scope import cheap_checks
    from training import dataset

    xva, _ = dataset.load_arrays(val, InputSpec())
    xsh = dataset.shifted_copy(xva, 42)
    refused, by_check = 0, Counter()
    for i in range(0, len(xsh), 64):
        chunk = xsh[i : i + 64, ..., 0]
        batch = np.stack([equalize(img / 255.0)[..., None] for img in chunk]).astype(np.float32)
        stages = screener.gate.model_stage(batch, screener.predict(batch).features)
        for img, st in zip(chunk, stages):
            meta = {"source_kind": "JPEG", "height": 224, "width": 224}
            names = [c.check for c in cheap_checks(img, meta) + st.checks if c.verdict == REFUSE]
            refused += bool(names)
            by_check.update(names)
    return {"films": len(xsh), "out_of_scope": refused, "by_check": dict(by_check)}


def scope_set(screener, run_dir: Path) -> dict:
    scores = json.loads((run_dir / "scores.json").read_text())["scope"]
    threshold = screener.gate.classifier.threshold
    paths = [Path(p) for p in scores]
    results = screen_all(screener, paths, "scope set")
    per_class: dict[str, Counter] = defaultdict(Counter)
    per_source: dict[tuple[str, str], Counter] = defaultdict(Counter)
    misses = []
    for r in results:
        s = scores[str(r.path)]
        names = refusing_checks(r, s["probs"][0], threshold)
        cls = s["class"]
        for key, table in ((cls, per_class), ((cls, s["source"]), per_source)):
            table[key]["n"] += 1
            table[key]["out"] += bool(names)
            table[key].update(f"by_{n}" for n in set(names))
        if not names:
            misses.append(str(r.path.relative_to(DATA / "scope")))
    return {
        "per_class": {k: dict(v) for k, v in per_class.items()},
        "per_source": {f"{c}/{s}": dict(v) for (c, s), v in per_source.items()},
        "missed": misses,
        "scored_by": sorted({v["scored_by"] for v in scores.values()}),
    }


def pydicom_files(screener) -> dict:
    import pydicom.data

    folder = Path(pydicom.data.get_testdata_file("CT_small.dcm")).parent
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    results = list(screener.screen(paths))
    return {r.path.name: f"{r.status}: {r.reason}" if r.reason else r.status for r in results}


def print_scope_set(scope: dict) -> None:
    print("\n| class | images | out of scope | share | by check (an image may count under several) |")
    print("| --- | --- | --- | --- | --- |")
    for cls, c in sorted(scope["per_class"].items()):
        by = ", ".join(f"{k[3:]} {n}" for k, n in sorted(c.items()) if k.startswith("by_"))
        print(f"| {cls} | {c['n']} | {c['out']} | {c['out'] / c['n']:.1%} | {by} |")
    print("\n| class/source | images | out of scope |")
    print("| --- | --- | --- |")
    for key, c in sorted(scope["per_source"].items()):
        print(f"| {key} | {c['n']} | {c['out'] / c['n']:.1%} |")


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="Figures of the shipped scope gate.")
    ap.add_argument("run_dir", type=Path, nargs="?", default=None, help="the gate's run (its fold scores)")
    ap.add_argument("--model", type=Path, default=Path("assets/model.json"))
    ap.add_argument(
        "--card", type=Path, default=None, help="write the scope-gate section into this model card"
    )
    args = ap.parse_args(argv)
    if args.card and args.run_dir is None:
        ap.error("--card needs the gate's run: its section reports the scope set left one source out")
    from pneumoscan.screener import Screener

    screener = Screener(args.model, threads=2)
    report = {"validation": validation(screener), "pydicom": pydicom_files(screener)}
    if args.run_dir is not None:
        report["scope_set"] = scope_set(screener, args.run_dir)
        (args.run_dir / "scope_eval.json").write_text(json.dumps(report, indent=2))
    v = report["validation"]
    print(f"\nvalidation: {v['out_of_scope']} of {v['films']} out of scope {v['by_check']}")
    sh = v["shifted"]
    print(f"shifted validation: {sh['out_of_scope']} of {sh['films']} out of scope {sh['by_check']}")
    if "scope_set" in report:
        print_scope_set(report["scope_set"])
    statuses = Counter(s.split(":")[0] for s in report["pydicom"].values())
    print(f"\npydicom test files: {dict(statuses)}")
    if args.card:
        from training.card_sections import replace_section
        from training.scope_card import card_section

        gate = json.loads((args.model.parent / "scope_gate.json").read_text())
        replace_section(args.card, card_section(report, gate))


if __name__ == "__main__":
    main()
