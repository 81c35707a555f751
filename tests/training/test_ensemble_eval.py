"""training.ensemble_eval: runs holding out one hospital, each standardised on its own validation, averaged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from training import ensemble_eval as E
from training import metrics as M

RNG = np.random.default_rng(1)
VAL_Y = np.r_[np.zeros(30, int), np.ones(30, int)]
HELD_Y = np.tile([0, 1], 20)
CHILD = ["1"] * 10 + ["0"] * 30


@pytest.fixture(autouse=True)
def _few_boots(monkeypatch):
    monkeypatch.setattr("training.hospital_eval.BOOT", 20)  # the interval is hospital_eval's, tested there


def _runs(tmp_path, prediction_run, scales=(1.0, 3.0, 0.5)):
    """Runs whose logits are the label plus noise, each on its own scale and offset."""
    zs = []
    runs = []
    for i, k in enumerate(scales):
        v = k * (VAL_Y + RNG.normal(0, 0.7, len(VAL_Y))) + i
        h = k * (0.3 * HELD_Y + RNG.normal(0, 1, len(HELD_Y))) + i
        val = {f"gz/{j}.jpeg": (y, z) for j, (y, z) in enumerate(zip(VAL_Y, v))}
        held = {f"sz/{j}.png": (y, z, c) for j, (y, z, c) in enumerate(zip(HELD_Y, h, CHILD))}
        runs.append(prediction_run(tmp_path, f"run{i}", val, held))
        zs.append((v, h))
    return runs, zs


def test_the_average_is_of_logits_standardised_on_each_runs_validation(tmp_path, prediction_run):
    runs, zs = _runs(tmp_path, prediction_run)
    res = E.evaluate(runs)
    std = [((v - v.mean()) / v.std(), (h - v.mean()) / v.std()) for v, h in zs]
    v_avg, h_avg = np.mean([s[0] for s in std], 0), np.mean([s[1] for s in std], 0)
    ens = res[E.ENSEMBLE]
    assert ens[E.CLEAN]["auc"] == pytest.approx(roc_auc_score(VAL_Y, v_avg))
    adults = ens["shenzhen (held out), adults"]
    assert adults["auc"] == pytest.approx(roc_auc_score(HELD_Y[10:], h_avg[10:]))
    t = M.threshold_for_sensitivity(VAL_Y, v_avg, 0.98)
    assert adults["threshold"] == pytest.approx(t)
    assert adults["cleared_normal"] == [int((h_avg[10:][HELD_Y[10:] == 0] < t).sum()), 15]


@pytest.mark.parametrize("i", [0, 1, 2])
def test_each_run_alone_is_its_own_logits_whatever_their_scale(tmp_path, prediction_run, i):
    runs, zs = _runs(tmp_path, prediction_run)
    kids = E.evaluate(runs)[str(runs[i])]["shenzhen (held out), children"]
    assert kids["auc"] == pytest.approx(roc_auc_score(HELD_Y[:10], zs[i][1][:10]))
    t = M.threshold_for_sensitivity(VAL_Y, zs[i][0], 0.98)
    assert kids["flagged_abnormal"] == [int((zs[i][1][:10][HELD_Y[:10] == 1] >= t).sum()), 5]


@pytest.mark.parametrize("runs", [2, 4])
@pytest.mark.parametrize(("noise", "high"), [(0.0, True), (50.0, False)])
def test_agreement_is_high_only_when_runs_order_films_alike(runs, noise, high):
    base = np.arange(50.0)
    z = np.stack([base + RNG.normal(0, noise + 1e-9, 50) for _ in range(runs)])
    rho = E.agreement(z)
    assert (rho > 0.95) if high else (rho < 0.5)


def test_agreement_of_two_runs_is_their_spearman_correlation():
    z = RNG.normal(size=(2, 30))
    assert E.agreement(z) == pytest.approx(spearmanr(z[0], z[1]).statistic)


def test_runs_that_list_different_films_are_refused(tmp_path, prediction_run):
    runs, _ = _runs(tmp_path, prediction_run, scales=(1.0, 1.0))
    other = prediction_run(tmp_path, "other", {"gz/0.jpeg": (0, 0.0), "gz/1.jpeg": (1, 1.0)}, {})
    with pytest.raises(SystemExit, match="not list the same films"):
        E.evaluate([runs[0], other])


def test_one_run_is_refused(tmp_path, prediction_run):
    runs, _ = _runs(tmp_path, prediction_run, scales=(1.0,))
    with pytest.raises(SystemExit, match="two runs or more"):
        E.evaluate(runs)


def test_main_prints_each_run_the_average_and_the_agreement(tmp_path, prediction_run, capsys):
    runs, _ = _runs(tmp_path, prediction_run)
    E.main([str(r) for r in runs] + ["--out", str(tmp_path / "e.json")])
    out = capsys.readouterr().out
    assert all(f"| {r} | Guangzhou validation |" in out for r in runs)
    assert "| average of all | shenzhen (held out), adults |" in out
    assert "| shenzhen (held out), children | 0." in out or "| shenzhen (held out), children | -0." in out
    saved = json.loads((tmp_path / "e.json").read_text())
    assert set(saved) == {str(r) for r in runs} | {E.ENSEMBLE}
