"""training.scope_batch: a batch taken out of the gate cache everywhere, and its refusals counted."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from training import scope_batch


def _cache(train: list, val: list, copies: int, n_altered: int, seed: int) -> dict:
    """A cache whose every row carries its film's index, so removals can be checked by value."""
    idx = np.arange(len(train), dtype=np.float32)
    altered = random.Random(seed).sample([p for p, _ in train], n_altered)
    alt_idx = np.array([[p for p, _ in train].index(p) for p in altered], dtype=np.float32)
    return {
        "x_train": idx,
        "a_train": np.repeat(idx, copies),
        "x_alt": alt_idx,
        "a_alt": np.repeat(alt_idx, copies),
        "alt_kinds": np.array(["inverted"] * n_altered),
        "x_val": np.arange(len(val), dtype=np.float32) + 1000,
        "x_val_shifted": np.arange(len(val), dtype=np.float32) + 2000,
        "val_paths": np.array([str(p) for p, _ in val]),
    }


def _films(names: list[str]) -> list:
    return [(Path(n), 0) for n in names]


@pytest.mark.parametrize("copies", [1, 3])
def test_hold_out_removes_the_batch_from_every_part(copies):
    train = _films(
        [f"NORMAL2-IM-{i:04d}-0001.jpeg" if i % 3 == 0 else f"IM-{i:04d}-0001.jpeg" for i in range(30)]
    )
    val = _films(["NORMAL2-IM-9000-0001.jpeg", "IM-9001-0001.jpeg", "person9_bacteria_1.jpeg"])
    c = _cache(train, val, copies, n_altered=12, seed=5)
    scope_batch.hold_out(c, train, val, "NORMAL2", n_altered=12, seed=5)

    batch_train = {i for i, (p, _) in enumerate(train) if p.name.startswith("NORMAL2-")}
    assert not batch_train & set(c["x_train"].astype(int).tolist())
    assert not batch_train & set(c["a_train"].astype(int).tolist())
    assert not batch_train & set(c["x_alt"].astype(int).tolist())
    assert len(c["a_train"]) == copies * len(c["x_train"]) and len(c["a_alt"]) == copies * len(c["x_alt"])
    assert len(c["alt_kinds"]) == len(c["x_alt"])
    assert c["val_paths"].tolist() == ["IM-9001-0001.jpeg", "person9_bacteria_1.jpeg"]
    assert c["x_val_shifted"].tolist() == [2001, 2002]
    assert len(c["x_batch"]) == len(batch_train) + 1 == len(c["batch_paths"])
    assert c["batch_paths"][-1] == "NORMAL2-IM-9000-0001.jpeg" and c["x_batch"][-1] == 1000


def test_hold_out_refuses_a_cache_of_other_films():
    train, val = _films(["IM-0001-0001.jpeg"] * 4), _films(["IM-0002-0001.jpeg"])
    c = _cache(train[:3], val, 1, n_altered=2, seed=0)
    with pytest.raises(SystemExit, match="delete it"):
        scope_batch.hold_out(c, train, val, "NORMAL2", n_altered=2, seed=0)


def _scores(val: list[float], batch: list[float]) -> dict:
    def probs(p):
        return [[v, 1 - v, 0, 0, 0] for v in p]

    return {
        "val": probs(val),
        "val_shifted": probs(val),
        "held_out_batch": {"paths": [f"b{i}" for i in range(len(batch))], "probs": probs(batch)},
    }


@pytest.mark.parametrize(
    ("first_batch", "second_batch", "expected"),
    [
        ([0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9], (0, 0, 0)),
        ([0.01, 0.9, 0.9, 0.9], [0.9, 0.01, 0.9, 0.9], (1, 1, 2)),
        ([0.01, 0.01, 0.9, 0.9], [0.01, 0.9, 0.9, 0.9], (2, 1, 2)),
    ],
)
def test_refusals_count_each_gate_and_their_union(first_batch, second_batch, expected):
    val = list(np.linspace(0.5, 1.0, 201))  # both rules' quantiles sit near 0.5
    rows = scope_batch.refusals(_scores(val, first_batch), _scores(val, second_batch))
    batch = rows[0]
    assert batch["films"] == "held-out batch" and batch["n"] == 4
    assert (batch["first"]["refused"], batch["second"]["refused"], batch["either"]["refused"]) == expected
    assert all(0.5 <= t < 0.51 for t in batch["thresholds"])
    assert "| held-out batch |" in scope_batch.table(rows)


def test_refusals_need_the_same_batch_in_both_runs():
    a, b = _scores([0.5, 1.0], [0.9]), _scores([0.5, 1.0], [0.9, 0.9])
    with pytest.raises(SystemExit, match="different films"):
        scope_batch.refusals(a, b)


@pytest.mark.slow
def test_a_gate_trained_without_a_batch_scores_it(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from tests.shared import scope_smoke_args
    from training import split
    from training.train_scope import main as train_scope

    runs = tmp_path / "runs"
    train_scope([*scope_smoke_args(runs), "--hold-out-batch", "NORMAL2"])
    run_dir = next(runs.glob("scope-2*"))
    scores = json.loads((run_dir / "scores.json").read_text())
    held = scores["held_out_batch"]
    assert held["batch"] == "NORMAL2" and len(held["paths"]) == len(held["probs"]) > 0
    assert all(split.acquisition_batch(Path(p).name) == "NORMAL2" for p in held["paths"])
    assert not any(split.acquisition_batch(Path(p).name) == "NORMAL2" for p in scores["val_paths"])
    scope_batch.main([str(run_dir), str(run_dir)])
    assert "| held-out batch |" in capsys.readouterr().out
    assert (run_dir / "scope_batch.json").exists()
