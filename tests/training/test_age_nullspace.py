"""Apparent age projected out of pooled features: what is removed, what is kept, the whole measurement."""

from __future__ import annotations

import numpy as np
import pytest

from training import age_nullspace


def _films(n: int = 300, seed: int = 0):
    """Features where dimension 0 carries the class, 1 age among normal films, 2 age among
    pneumonia films, and the rest noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    age = rng.uniform(1, 15, n)
    x = rng.normal(size=(n, 8))
    x[:, 0] += 3 * labels
    x[:, 1] += np.where(labels == 0, age / 4, 0)
    x[:, 2] += np.where(labels == 1, age / 4, 0)
    return x, age, labels


def test_each_class_loses_its_mean_and_nothing_else():
    x = np.array([[1.0], [3.0], [10.0], [20.0]])
    out = age_nullspace.within_class(x, np.array([0, 0, 1, 1]))
    assert out.ravel().tolist() == [-1.0, 1.0, -5.0, 5.0]


def test_leace_leaves_no_linear_correlation_with_age_within_either_class_and_keeps_the_class():
    x, age, labels = _films()
    xp = x @ age_nullspace.leace(x, age, labels)
    for c in (0, 1):
        m = labels == c
        xc, ac = xp[m] - xp[m].mean(axis=0), age[m] - age[m].mean()
        assert np.abs(xc.T @ ac / m.sum()).max() < 1e-8
    gap = xp[labels == 1, 0].mean() - xp[labels == 0, 0].mean()
    assert gap == pytest.approx(3.0, abs=0.5)  # the class is not an age direction


@pytest.mark.parametrize("rounds", [1, 3])
def test_each_inlp_round_takes_a_direction_of_age_out(rounds):
    x, age, labels = _films()
    p = age_nullspace.nullspace(x, age, labels, rounds)
    assert np.allclose(p, p.T) and np.allclose(p @ p, p)  # an orthogonal projection
    assert np.trace(p) == pytest.approx(x.shape[1] - rounds)
    before = np.corrcoef(age_nullspace.within_class(x, labels)[:, 1], age)[0, 1]
    after = np.corrcoef(age_nullspace.within_class(x @ p, labels)[:, 1], age)[0, 1]
    assert abs(after) < abs(before)


def test_no_rounds_is_the_control():
    x, age, labels = _films()
    assert np.array_equal(age_nullspace.nullspace(x, age, labels, 0), np.eye(x.shape[1]))


@pytest.mark.parametrize(("rounds", "low", "high"), [(0, 0.5, 1.0), (2, 0.3, 0.65), (-1, -1.0, 0.1)])
def test_the_measurement_reads_the_held_out_hospital_without_fitting_on_it(rounds, low, high):
    d, apparent, known = _hospitals(held="shenzhen")
    row = age_nullspace.measure(d, apparent, known, rounds)
    assert row["guangzhou_auc"] > 0.95 and row["held_all_auc"] > 0.95  # the class survives
    assert row["held_normal_flagged"][1] == 50
    # the directions come from Guangzhou's training films; the age they carry goes elsewhere too
    assert low < row["guangzhou_normal_age_read"] < high and low < row["held_normal_age_read"] < high
    text = age_nullspace.render("run", [row])
    assert ("| LEACE |" if rounds < 0 else f"| {rounds} |") in text


def _hospitals(held: str):
    x, age, labels = _films(400)
    paths = np.array([f"/f{i}.png" for i in range(400)])
    d = {
        "features": x,
        "label": labels,
        "hospital": np.array(
            ["guangzhou (training)"] * 200 + ["guangzhou (validation)"] * 100 + ["shenzhen"] * 100
        ),
        "child": np.zeros(400, int),
        "path": paths,
        "held_out": np.array(held),
    }
    return d, dict(zip(paths[:300], age[:300])), dict(zip(paths[300:], age[300:]))


def test_directions_can_come_from_a_trained_on_hospitals_true_ages():
    d, apparent, known = _hospitals(held="montgomery")
    row = age_nullspace.measure(d, apparent, known, -1, source="shenzhen")
    assert row["source"] == "shenzhen" and row["guangzhou_auc"] > 0.95
    assert row["guangzhou_normal_age_read"] < 0.3  # in these films both hospitals carry age alike


@pytest.mark.parametrize(
    ("held", "source", "message"), [("shenzhen", "shenzhen", "holds it out"), ("x", "y", "no film")]
)
def test_directions_are_never_learned_from_the_held_out_hospital_or_from_nothing(held, source, message):
    d, apparent, known = _hospitals(held)
    with pytest.raises(SystemExit, match=message):
        age_nullspace.measure(d, apparent, known, -1, source=source)
