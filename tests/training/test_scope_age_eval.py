"""What a scope gate trained without a batch refuses (``training.scope_age_eval``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training import scope_age_eval

FILMS = [
    {"hospital": "montgomery", "age": None},
    {"hospital": "shenzhen", "age": 40.0},
    {"hospital": "shenzhen", "age": 18.0},
    {"hospital": "shenzhen", "age": 6.0},
    {"hospital": "shenzhen", "age": 10.0},
    {"hospital": "shenzhen", "age": 14.0},
]


def test_groups_split_by_hospital_and_age() -> None:
    g = scope_age_eval.groups(FILMS)
    assert [list(np.flatnonzero(m)) for m, _ in g.values()] == [[0], [1, 2], [3, 4], [5]]
    assert [kind for _, kind in g.values()] == ["refused", "refused", "assessed", "assessed"]


def test_rows_count_refusals_and_assessments() -> None:
    paths = [f"/d/train/NORMAL/NORMAL2-IM-{i:04d}-0001.jpeg" for i in range(10)]
    ages = {str(Path(p).resolve()): float(i) for i, p in enumerate(paths)}
    refused = {
        "batch": np.array([False] * 8 + [True, True]),  # the two oldest-looking films
        "val": np.array([False, True, False]),
        "val_shifted": np.array([True, True, False]),
        "hosp": np.array([True, True, False, True, False, False]),
        "never": np.array([True, False, True]),
    }
    cells = scope_age_eval.rows("g", refused, paths, ages, FILMS)
    assert cells[0] == "g"
    assert cells[1].startswith("2 / 10 (20.00%")
    assert cells[2] == "2 / 2; 0 / 8"
    assert cells[3] == "1; 2 of 3"
    # Montgomery 1 of 1 refused; Shenzhen adults 1 of 2 refused; children 1-10: 1 of 2 assessed; 11-17: 1 of 1
    assert [c.split(" (")[0] for c in cells[4:]] == ["1 / 1", "1 / 2", "1 / 2", "1 / 1", "2 / 3"]


def test_never_trained_adults_are_the_licence_restricted_frontal_films_in_path_order() -> None:
    def item(cls: str, ok: bool, p: float, by: str = "full model (source never trained on)") -> dict:
        return {"class": cls, "train_ok": ok, "probs": [p, 1 - p], "scored_by": by}

    scope = {
        "b/covid_2.png": item("adult_cxr", False, 0.2),
        "a/covid_1.png": item("adult_cxr", False, 0.1),
        "c/covid_lat.png": item("adult_cxr_lateral", False, 0.3),
        "d/mhh_1.png": item("adult_cxr", True, 0.4, "fold without mhh"),
        "e/covid_ok.png": item("adult_cxr", True, 0.5, "full model (trained on this source: no fold run)"),
    }
    assert scope_age_eval.never_trained_adults({"scope": scope}).tolist() == [0.1, 0.2]
    assert scope_age_eval.never_trained_adults({}).size == 0


def test_a_run_without_a_held_out_batch_is_refused(tmp_path: Path) -> None:
    (tmp_path / "scores.json").write_text(json.dumps({"val": [[1.0]]}))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SystemExit, match="--hold-out-batch"):
        scope_age_eval.load(tmp_path)


@pytest.mark.parametrize(
    "files", [{}, {"scores.json": "{}"}, {"scores.json": "not json", "config.json": "{}"}]
)
def test_an_unfinished_run_is_a_clear_message(tmp_path: Path, files: dict) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(SystemExit, match="not a finished train_scope run"):
        scope_age_eval.load(tmp_path)


@pytest.mark.slow
def test_an_age_weighted_gate_trains_and_is_measured(tmp_path: Path, capsys) -> None:
    pytest.importorskip("tensorflow")
    from tests.shared import data_dir, scope_smoke_args
    from training.train_scope import cache_films
    from training.train_scope import main as train_scope

    data = data_dir()
    train, _ = cache_films(data / "chest_xray" / "train", 20)
    # apparent ages for the smoke run's films (the real ones come from training.age_reader)
    rows = [f"{p},{y},{i % 7}\n" for i, (p, y) in enumerate(train)]
    ages = tmp_path / "ages.csv"
    ages.write_text("path,label,apparent_age\n" + "".join(rows))
    runs = tmp_path / "runs"
    train_scope([*scope_smoke_args(runs), "--hold-out-batch", "NORMAL2", "--age-weight", str(ages)])
    out = capsys.readouterr().out
    assert "--age-weight:" in out and "films weighed 3.0x" in out
    run_dir = next(runs.glob("scope-2*"))
    assert json.loads((run_dir / "config.json").read_text())["age_weight"] == str(ages)
    scope_age_eval.main(
        [
            str(run_dir),
            "--apparent",
            str(ages),
            "--data",
            str(data),
            "--union",
            "0",
            "0",
            "--match-batch",
            "0",
            "--mean",
            "0,0",
        ]
    )
    table = capsys.readouterr().out
    assert "age-weighted" in table and "either of" in table and "0 of the batch" in table
    assert f"mean of {run_dir.name} and {run_dir.name}" in table
    assert "Montgomery (adults mostly) refused" in table


@pytest.mark.parametrize("k", [0, 1, 3])
def test_a_matched_threshold_refuses_exactly_k_of_the_batch(k: int) -> None:
    p = np.array([0.9, 0.05, 0.5, 0.2, 0.99])
    t = scope_age_eval.matched_threshold(p, k)
    assert int((p < t).sum()) == k


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--union", "0", "1"], "numbered 0 to 0"),
        (["--mean", "0"], "at least two run numbers"),
        (["--mean", "0,1"], "each from 0 to 0"),
        (["--mean", "a,b"], "comma-separated run numbers"),
        (["--match-batch", "2"], "between 0 and 1"),
        (["--match-batch", "seven"], "comma-separated counts"),
    ],
)
def test_options_out_of_range_are_clear_messages(tmp_path: Path, extra: list[str], message: str) -> None:
    held = {"batch": "NORMAL2", "paths": ["a.jpeg", "b.jpeg"], "probs": [[0.9], [0.1]]}
    (tmp_path / "scores.json").write_text(json.dumps({"held_out_batch": held}))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SystemExit, match=message):
        scope_age_eval.main([str(tmp_path), "--apparent", str(tmp_path / "none.csv"), *extra])


@pytest.mark.parametrize(("cfg", "pool"), [({"pool": 4}, 4), ({"pool": 2}, 2), ({}, 2)])
def test_the_nlm_films_are_pooled_as_the_run_was_trained(cfg: dict, pool: int) -> None:
    assert scope_age_eval.pool_of({"cfg": cfg}) == pool


def test_a_mean_averages_the_gates_on_the_log_odds_scale() -> None:
    a = {"batch": np.array([0.9, 0.2, 0.5]), "val": np.array([0.7])}
    b = {"batch": np.array([0.1, 0.2, 0.99]), "val": np.array([0.7])}
    m = scope_age_eval.mean_of([a, b])
    # 0.9 and 0.1 are opposite log-odds; a gate averaged with itself is unchanged
    np.testing.assert_allclose(m["batch"][:2], [0.5, 0.2], atol=1e-6)
    np.testing.assert_allclose(m["val"], [0.7], atol=1e-6)
    z = (np.log(0.5 / 0.5) + np.log(0.99 / 0.01)) / 2
    assert m["batch"][2] == pytest.approx(1 / (1 + np.exp(-z)))


@pytest.mark.parametrize(
    ("run", "words"),
    [
        ({"hospitals": False}, "first gate"),
        ({"hospitals": True}, "second gate"),
        ({"hospitals": True, "mixed": True}, "first and second gates"),
    ],
)
def test_a_label_says_which_gates_it_reads(run: dict, words: str) -> None:
    assert f"x ({words}, shipped recipe)" == scope_age_eval.label({"run": Path("x"), "cfg": {}, **run})
