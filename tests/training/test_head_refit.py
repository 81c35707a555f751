"""Last-layer retraining: the balanced head ignores what only says "which hospital"."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from training.head_refit import evaluate, extract, refit, scored_rows
from training.sources import Film


def _shortcut_set(seed: int, n_big: int = 600, n_small: int = 150):
    """Feature 0: the real signal. Feature 1: which hospital. The big hospital is mostly abnormal,
    the small one mostly normal, so the hospital predicts the label unless the weights cancel it."""
    rng = np.random.default_rng(seed)
    films, feats = [], []
    for hospital, n, prevalence in (("big", n_big, 0.85), ("small", n_small, 0.15)):
        y = (rng.random(n) < prevalence).astype(int)
        signal = y + rng.normal(0, 1.0, n)
        feats.append(np.c_[signal, np.full(n, hospital == "big", float) + rng.normal(0, 0.05, n)])
        films += [Film(Path(""), int(v), hospital, False) for v in y]
    return np.concatenate(feats), films


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_balanced_head_leans_on_the_signal_not_the_hospital(seed):
    from sklearn.linear_model import LogisticRegression

    x, films = _shortcut_set(seed)
    y = np.array([f.label for f in films])
    coef = refit(x, films, 1.0)[-1].coef_[0]
    plain = LogisticRegression(max_iter=5000).fit((x - x.mean(0)) / x.std(0), y).coef_[0]
    assert abs(coef[1]) < 0.25 * abs(coef[0])
    assert abs(plain[1]) > 2 * abs(coef[1])


def test_rows_are_guangzhou_validation_and_the_held_out_hospital_at_the_98_threshold(features_of_a_run):
    d = features_of_a_run()
    rows, threshold = scored_rows(d, d["logit"])
    assert {r["hospital"] for r in rows} == {"guangzhou (validation)", "shenzhen (held out)"}
    assert len(rows) == 200 + 270
    val = [r for r in rows if r["hospital"] == "guangzhou (validation)"]
    pos = [r["score"] for r in val if r["label"] == 1]
    assert np.mean(np.array(pos) >= threshold) >= 0.98


def test_evaluate_prints_the_trained_head_and_each_refitted_head(features_of_a_run, monkeypatch):
    from training import hospital_eval

    monkeypatch.setattr(hospital_eval, "BOOT", 50)  # the intervals are not under test here
    text = evaluate(features_of_a_run(), strengths=(0.01, 1.0))
    for title in ("trained head", "re-fitted head C=0.01", "re-fitted head C=1.0"):
        assert title in text
    assert "shenzhen (held out), children" in text and "shenzhen (held out), adults" in text
    # the signal is strong and shared by every hospital, so the held-out AUC is high
    assert text.count("| 0.9") >= 6


@pytest.mark.parametrize("present", [[], ["config.json"]])
def test_a_folder_that_is_not_a_run_is_refused_with_its_name(tmp_path, present):
    from training.head_refit import main

    for name in present:
        (tmp_path / name).write_text("{}")
    with pytest.raises(SystemExit) as err:
        main([str(tmp_path)])
    assert str(tmp_path) in str(err.value) and "no best.keras" in str(err.value)


@pytest.mark.slow
def test_extract_reads_a_runs_checkpoint_and_caches_its_features(tmp_path, monkeypatch):
    from tests.shared import data_dir
    from training import sources
    from training.model import build_model
    from training.train import TrainConfig

    data = data_dir()
    if not (data / "other_hospitals" / "manifest.csv").is_file():
        pytest.skip("other_hospitals/ not in the shared data set")
    cfg = TrainConfig(data=str(data / "chest_xray" / "train"), out=str(tmp_path), limit=16)
    cfg = TrainConfig(**{**asdict(cfg), "hospitals": "montgomery", "hold_out_hospital": "shenzhen"})
    (tmp_path / "config.json").write_text(json.dumps(asdict(cfg)))
    build_model(mixstyle=0.5).save(tmp_path / "best.keras")
    everyone = sources.other_hospitals
    monkeypatch.setattr(sources, "other_hospitals", lambda d, names: everyone(d, names)[::40])
    d = extract(tmp_path, data, sample=8)
    n = len(d["label"])
    assert d["features"].shape == (n, 384) and d["logit"].shape == (n,)
    assert (d["hospital"] == "guangzhou (training)").sum() == 8
    assert str(d["held_out"]) == "shenzhen" and (tmp_path / "head_features.npz").is_file()
    again = extract(tmp_path, data)  # from the cache, without TensorFlow work
    assert np.array_equal(again["features"], d["features"])
