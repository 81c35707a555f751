"""An adult-vs-child regression on the pneumonia model's features, measured as the gates are."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from training.feature_gate_eval import evaluate, fit_masks, main, refused_cells


@pytest.mark.parametrize(
    ("group", "age", "child", "adult"),
    [
        ("gz_train", np.nan, True, False),
        ("shenzhen", 9.0, True, False),
        ("shenzhen", 40.0, False, True),
        ("scope_adult_train", np.nan, False, True),
        ("gz_val", np.nan, False, False),
        ("batch", np.nan, False, False),
        ("montgomery", 50.0, False, False),
        ("scope_adult_never", np.nan, False, False),
        ("shenzhen", np.nan, False, False),  # no age: neither class
    ],
)
def test_only_training_children_and_adults_fit_the_regression(group, age, child, adult):
    c, a = fit_masks(np.array([group]), np.array([age]))
    assert (bool(c[0]), bool(a[0])) == (child, adult)


def _features(seed: int = 0) -> dict[str, np.ndarray]:
    """Feature 0 grows with age; the batch's children are a little older than the training ones."""
    rng = np.random.default_rng(seed)
    parts = {
        "gz_train": (400, 0.0),
        "gz_val": (200, 0.0),
        "batch": (300, 0.5),
        "shenzhen": (100, 3.0),
        "scope_adult_train": (80, 3.0),
        "montgomery": (60, 3.0),
        "scope_adult_never": (70, 3.0),
    }
    group = np.concatenate([[g] * n for g, (n, _) in parts.items()])
    level = np.concatenate([[m] * n for _, (n, m) in parts.items()])
    age = np.where(group == "shenzhen", 40.0, np.nan)
    x = np.c_[level + rng.normal(0, 0.7, len(group)), rng.normal(0, 1, len(group))]
    return {"features": x.astype(np.float32), "group": group, "age": age}


def test_refused_cells_count_above_the_threshold_per_group():
    scores = np.array([0.1, 0.9, 0.5, 0.95, 0.2])
    group = np.array(["batch", "batch", "gz_val", "montgomery", "scope_adult_never"])
    assert refused_cells(scores, group, 0.4) == ["1 / 2", "1 / 1", "1 / 1", "0 / 1"]


def test_evaluate_reads_each_strength_at_the_rule_and_at_k_of_the_batch():
    text = evaluate(_features(), strengths=(0.1,), share=0.01, counts=(3, 30))
    rows = [r for r in text.splitlines() if r.startswith("| C=")]
    assert len(rows) == 3
    assert rows[1].split(" | ")[1] == "3 / 300" and rows[2].split(" | ")[1] == "30 / 300"
    # the adults lie far above the children: nearly all refused at the rule
    refused = int(rows[0].split(" | ")[3].split(" / ")[0])
    assert refused >= 55


def test_a_run_without_a_held_out_batch_is_refused(tmp_path):
    from tests.shared import data_dir
    from training.train import TrainConfig

    data = data_dir()
    if not (data / "chest_xray" / "train").is_dir():
        pytest.skip("the chest_xray data set is not beside the repo")
    cfg = TrainConfig(data=str(data / "chest_xray" / "train"), out=str(tmp_path), limit=16)
    (tmp_path / "config.json").write_text(json.dumps(asdict(cfg)))
    (tmp_path / "best.keras").write_text("")
    with pytest.raises(SystemExit, match="not trained with --hold-out-batch"):
        main([str(tmp_path), "--data", str(data)])
