"""The distance check fitted as shipped, read on films the model never saw (``training.distance_unseen``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from training.distance_unseen import fitted_check, groups, main, table
from training.feature_distance import REJECT, SHIFTED_REJECT


def _features(seed: int = 0) -> dict[str, np.ndarray]:
    """Guangzhou's films near 0, the other trained hospital 10 away, the held-out one 20 away elsewhere."""
    rng = np.random.default_rng(seed)
    parts = [
        ("trained", "chest_xray/train/NORMAL/IM-1.jpeg", 600, 0.0, np.nan),
        ("trained", "other_hospitals/images/CHNCXR_1.png", 300, 10.0, 40.0),
        ("gz_val", "chest_xray/train/NORMAL/IM-2.jpeg", 500, 0.0, np.nan),
        ("batch", "chest_xray/train/NORMAL/NORMAL2-IM-3.jpeg", 200, 0.3, np.nan),
        ("shenzhen", "other_hospitals/images/CHNCXR_2.png", 50, 10.0, 40.0),
        ("montgomery", "other_hospitals/images/MCUCXR_1.png", 60, 0.0, np.nan),
    ]
    rows = [(g, p, m, a) for g, p, n, m, a in parts for _ in range(n)]
    level = np.array([r[2] for r in rows])
    x = np.c_[level + rng.normal(0, 1, len(rows)), rng.normal(0, 1, (len(rows), 3))]
    x[np.array([r[0] for r in rows]) == "montgomery", 1] += 20.0  # a direction no trained film takes
    return {
        "features": x.astype(np.float32),
        "path": np.array([r[1] for r in rows]),
        "group": np.array([r[0] for r in rows]),
        "age": np.array([r[3] for r in rows], dtype=float),
        "shifted": (rng.normal(0, 1.1, (500, 4))).astype(np.float32),
    }


def test_the_threshold_is_the_higher_of_the_two_quantiles():
    rng = np.random.default_rng(1)
    fit, val = rng.normal(0, 1, (2000, 3)), rng.normal(0, 1, (1000, 3))
    for shifted_scale, binding in ((1.0, "val"), (3.0, "shifted")):
        shifted = rng.normal(0, shifted_scale, (1000, 3))
        check, t = fitted_check(fit, val, shifted)
        q_val = np.quantile(check.distances(val), 1 - REJECT)
        q_shift = np.quantile(check.distances(shifted), 1 - SHIFTED_REJECT)
        assert t == pytest.approx(max(q_val, q_shift))
        assert t == pytest.approx(q_val if binding == "val" else q_shift)


@pytest.mark.parametrize(
    ("group", "age", "expected"),
    [
        ("shenzhen", 6.0, "Shenzhen children 1-10"),
        ("shenzhen", 14.0, "Shenzhen children 11-17"),
        ("shenzhen", 30.0, "Shenzhen adults"),
        ("montgomery", np.nan, "Montgomery"),
        ("batch", np.nan, "Guangzhou's second batch (NORMAL2, never trained on)"),
        ("trained", np.nan, None),  # the fit's own films are not a measured group
    ],
)
def test_each_film_falls_in_its_group(group, age, expected):
    masks = groups({"group": np.array([group]), "age": np.array([age])})
    hits = [name for name, m in masks.items() if m[0]]
    assert hits == ([expected] if expected else [])


def test_a_hospital_in_the_fit_is_nearer_than_one_left_out():
    text = table(Path("run"), _features(), "montgomery")
    rows = {r.split(" | ")[0].lstrip("| "): r.split(" | ") for r in text.splitlines() if r.startswith("| ")}
    # fitted on Guangzhou only, the other trained hospital is far; fitted on every trained film it is not
    shenzhen = rows["Shenzhen adults"]
    assert shenzhen[2].startswith("50 (100.0%)") and shenzhen[3].startswith("0 (0.0%)")
    # the held-out hospital stays far under either fit
    assert rows["Montgomery"][2].startswith("60 (100.0%)") and rows["Montgomery"][3].startswith("60 (100.0%)")
    assert "Shenzhen children 1-10" not in rows  # no such films: no empty row


def test_a_run_without_a_held_out_hospital_is_refused(tmp_path):
    from tests.shared import data_dir
    from training.train import TrainConfig

    data = data_dir()
    if not (data / "chest_xray" / "train").is_dir():
        pytest.skip("the chest_xray data set is not beside the repo")
    cfg = TrainConfig(
        data=str(data / "chest_xray" / "train"), out=str(tmp_path), limit=16, hold_out_batch="NORMAL2"
    )
    (tmp_path / "config.json").write_text(json.dumps(asdict(cfg)))
    (tmp_path / "best.keras").write_text("")
    with pytest.raises(SystemExit, match="--hold-out-hospital"):
        main([str(tmp_path), "--data", str(data)])


def test_a_run_without_its_training_list_is_a_clear_message(tmp_path):
    from tests.shared import data_dir
    from training.distance_unseen import films
    from training.train import TrainConfig

    data = data_dir()
    if not (data / "chest_xray" / "train").is_dir():
        pytest.skip("the chest_xray data set is not beside the repo")
    cfg = TrainConfig(
        data=str(data / "chest_xray" / "train"),
        out=str(tmp_path),
        hold_out_batch="NORMAL2",
        hold_out_hospital="montgomery",
    )
    (tmp_path / "config.json").write_text(json.dumps(asdict(cfg)))
    (tmp_path / "best.keras").write_text("")
    with pytest.raises(SystemExit, match="no list of the films it trained on"):
        films(tmp_path, data)
