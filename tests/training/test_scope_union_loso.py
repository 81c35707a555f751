"""Both learned gates left one source out (training.scope_union_loso) and the folds-only option."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from training.scope_data import ScopeItem
from training.scope_union_loso import fold_scores, table, union_counts


def _run(tmp_path: Path, name: str, folds: dict[str, dict[str, float]]) -> Path:
    run = tmp_path / name
    (run / "loso").mkdir(parents=True)
    for source, scores in folds.items():
        probs = {path: [p, 1 - p, 0, 0, 0] for path, p in scores.items()}
        (run / "loso" / f"{source}.json").write_text(json.dumps(probs))
    return run


@pytest.mark.parametrize(
    ("p_first", "p_second", "fixed", "refused_by"),
    [
        (0.9, 0.9, False, (0, 0, 0, 0)),  # both gates pass it, nothing else refuses
        (0.1, 0.9, False, (1, 0, 1, 1)),  # the first gate alone
        (0.9, 0.01, False, (0, 1, 1, 1)),  # the second gate alone (its threshold is lower)
        (0.1, 0.01, False, (1, 1, 1, 1)),
        (0.9, 0.9, True, (0, 0, 0, 1)),  # a tag, pixel or distance check
    ],
)
def test_union_counts_each_refusal(tmp_path, p_first, p_second, fixed, refused_by):
    first = fold_scores(_run(tmp_path, "a", {"mhh": {"x.png": p_first}}))
    second = fold_scores(_run(tmp_path, "b", {"mhh": {"x.png": p_second}}))
    counts = union_counts({"x.png": "adult_cxr"}, first, second, (0.6, 0.09), {"x.png"} if fixed else set())
    c = counts[("adult_cxr", "mhh")]
    assert (c.first, c.second, c.union, c.pipeline) == refused_by
    assert c.images == 1 and c.sources == {"mhh"}


def test_only_images_both_runs_left_out_are_counted(tmp_path):
    first = fold_scores(_run(tmp_path, "a", {"mhh": {"x.png": 0.1}, "covid": {"y.png": 0.1}}))
    second = fold_scores(_run(tmp_path, "b", {"mhh": {"x.png": 0.5}}))
    classes = {"x.png": "adult_cxr", "y.png": "adult_cxr"}
    counts = union_counts(classes, first, second, (0.6, 0.09), set())
    assert list(counts) == [("adult_cxr", "mhh")] and counts[("adult_cxr", "mhh")].images == 1
    lines = table(counts)
    assert lines[2] == "| adult_cxr | mhh | 1 | 1 (100.0%) | 0 (0.0%) | 1 (100.0%) | 1 (100.0%) |"


def test_a_class_left_out_from_several_sources_gets_a_total_row(tmp_path):
    folds = {"mhh": {"x.png": 0.1}, "covid": {"y.png": 0.9, "z.png": 0.9}}
    first = fold_scores(_run(tmp_path, "a", folds))
    second = fold_scores(_run(tmp_path, "b", folds))
    classes = dict.fromkeys(("x.png", "y.png", "z.png"), "adult_cxr")
    lines = table(union_counts(classes, first, second, (0.6, 0.09), {"z.png"}))
    assert lines[2:] == [
        "| adult_cxr | covid | 2 | 0 (0.0%) | 0 (0.0%) | 0 (0.0%) | 1 (50.0%) |",
        "| adult_cxr | mhh | 1 | 1 (100.0%) | 0 (0.0%) | 1 (100.0%) | 1 (100.0%) |",
        "| **adult_cxr, all** | covid, mhh | 3 | 1 (33.3%) | 0 (0.0%) | 1 (33.3%) | 2 (66.7%) |",
    ]


def test_folds_only_refuses_an_unknown_source(tmp_path):
    from training.train_scope import run_folds

    items = [ScopeItem(Path("mhh_1.png"), "adult_cxr", "mhh", True)]
    args = Namespace(sources="mhh,nowhere", no_folds=False, fold_epochs=1, epochs=1, seed=0)
    with pytest.raises(SystemExit, match="nowhere"):
        run_folds({}, items, None, args, tmp_path / "loso")
    assert not any((tmp_path / "loso").iterdir())  # nothing trained, nothing saved
