"""How much age a run's pooled features hold: the probe reads age where it is, not where it is not."""

from __future__ import annotations

import numpy as np
import pytest

from training import feature_age


@pytest.mark.parametrize(("signal", "low", "high"), [(1.0, 0.8, 1.0), (0.0, -0.3, 0.3)])
def test_the_probe_reads_age_only_from_features_that_hold_it(signal, low, high):
    rng = np.random.default_rng(0)
    age = rng.uniform(1, 17, 200)
    features = rng.normal(size=(200, 12))
    features[:, 0] += signal * (age - age.mean()) / age.std() * 3
    assert low <= feature_age.age_held(features, age) <= high


def _features(n: int = 40) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    hospitals = ["guangzhou (validation)"] * n + ["shenzhen"] * n + ["hannover"] * n
    return {
        "features": rng.normal(size=(3 * n, 6)),
        "hospital": np.array(hospitals),
        "label": np.array(([0] * (n // 2) + [1] * (n // 2)) * 3),
        "path": np.array([f"/f{i}.png" for i in range(3 * n)]),
        "held_out": np.array("shenzhen"),
    }


def test_each_hospital_and_class_is_read_against_its_own_kind_of_age():
    d = _features()
    apparent = {f"/f{i}.png": float(i) for i in range(40)}  # Guangzhou: the reader's apparent age
    known = {f"/f{i}.png": float(i) for i in range(40, 80)}  # NLM: the patient's age; Hannover: none
    rows = feature_age.groups(d, apparent, known)
    assert [(r["hospital"], r["label"], r["age"]) for r in rows] == [
        ("guangzhou (validation)", 0, "apparent"),
        ("guangzhou (validation)", 1, "apparent"),
        ("shenzhen (held out)", 0, "patient"),
        ("shenzhen (held out)", 1, "patient"),
    ]
    assert all(r["films"] == 20 for r in rows)
    text = feature_age.render("run", rows)
    assert "| shenzhen (held out) | abnormal | 20 | patient |" in text


def test_a_cache_without_film_paths_asks_to_be_rebuilt(monkeypatch, tmp_path):
    from training import head_refit

    d = _features()
    del d["path"]
    monkeypatch.setattr(head_refit, "extract", lambda run, data: d)
    with pytest.raises(SystemExit, match="delete it"):
        feature_age.features(tmp_path, tmp_path)
