"""Validation statistics against SciPy / scikit-learn and against brute-force simulation."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.validation import stats as S

scipy_stats = pytest.importorskip("scipy.stats")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("k, n", [(0, 10), (1, 10), (7, 20), (20, 20), (199, 200), (3, 299), (150, 1000)])
def test_clopper_pearson_matches_scipy(k, n):
    ours = S.clopper_pearson(k, n)
    ref = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert ours == pytest.approx((ref.low, ref.high), abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_and_roc_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.random(400) + 0.3 * y, 2)  # ties on purpose
    assert S.roc_auc(y, s) == pytest.approx(sklearn_metrics.roc_auc_score(y, s), abs=1e-12)
    fpr, tpr = S.roc_points(y, s)
    ref_fpr, ref_tpr, _ = sklearn_metrics.roc_curve(y, s, drop_intermediate=False)
    assert np.allclose(fpr, ref_fpr) and np.allclose(tpr, ref_tpr)


def test_positives_needed_for_a_99_percent_guarantee_is_299():
    assert S.positives_needed(0.99) == 299
    assert S.guaranteed_threshold(np.linspace(0, 1, 298), 0.99)["threshold"] is None
    assert S.guaranteed_threshold(np.linspace(0, 1, 299), 0.99)["threshold"] == 0.0


@pytest.mark.parametrize("n, target", [(400, 0.99), (1000, 0.98), (600, 0.95)])
def test_guaranteed_threshold_holds_in_simulation(n, target):
    """Draw positives from a known score distribution many times: the true sensitivity at the chosen
    threshold must reach the target in at least 95% of draws (and not be needlessly conservative)."""
    rng = np.random.default_rng(7)
    hits, trials = 0, 2000
    for _ in range(trials):
        scores = rng.random(n)  # uniform scores: true sensitivity at t is 1 - t
        t = S.guaranteed_threshold(scores, target)["threshold"]
        hits += (1.0 - t) >= target
    assert 0.95 <= hits / trials <= 0.99


def test_sensitivity_threshold_keeps_the_target_on_the_data():
    rng = np.random.default_rng(3)
    pos = rng.random(250)
    t = S.sensitivity_threshold(pos, 0.99)
    assert (pos >= t).mean() >= 0.99 and (pos >= np.nextafter(t, 2)).mean() < 0.99


def test_youden_matches_a_brute_force_search():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    p = rng.random(300) * 0.7 + 0.3 * y
    best = max(np.unique(p), key=lambda t: (p[y == 1] >= t).mean() + (p[y == 0] < t).mean())
    assert S.youden_threshold(y, p) == pytest.approx(best)


def test_at_threshold_counts_and_intervals():
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.1, 0.3])
    m = S.at_threshold(y, p, 0.5)
    assert m["confusion"] == {"tp": 2, "fn": 1, "tn": 3, "fp": 1}
    assert m["sensitivity"]["value"] == pytest.approx(2 / 3) and m["ppv"]["value"] == pytest.approx(2 / 3)
    assert m["specificity"]["ci95"] == pytest.approx(S.clopper_pearson(3, 4))


def test_patient_bootstrap_keeps_patients_together():
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    sizes = S.patient_bootstrap(groups, lambda idx: float(len(idx)), n_boot=200, seed=0)
    assert set(np.unique(sizes)) <= set(range(3, 10))  # sums of whole patients (1, 2 or 3 images each)
