"""Age balance: under the weights apparent age no longer tells Guangzhou's classes apart."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from training.age_balance import apply, factors, weighted_auc


def _films(seed: int = 0, gap: float = 5.0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(400), np.ones(1200)].astype(int)
    return y, rng.normal(3.0, 5.0, len(y)) + gap * y


@pytest.mark.parametrize("bins", [5, 10, 20])
def test_under_the_weights_apparent_age_says_nothing_of_the_class(bins):
    y, a = _films()
    assert weighted_auc(y, a) > 0.75
    f = factors(y, a, bins)
    assert weighted_auc(y, a, f) == pytest.approx(0.5, abs=0.03)


def test_each_class_keeps_its_weight_and_the_cap_holds():
    y, a = _films(gap=14.0)
    capped, free = factors(y, a, 10, cap=3.0), factors(y, a, 10, cap=1e9)
    for f in (capped, free):
        for c in (0, 1):
            assert f[y == c].mean() == pytest.approx(1.0)
    assert capped.max() < free.max()
    spread = [(f[y == c].max() / f[y == c].min()) for f in (capped, free) for c in (0, 1)]
    assert spread[0] <= spread[2] + 1e-9 and spread[1] <= spread[3] + 1e-9  # the cap only narrows


def test_classes_alike_in_age_are_left_nearly_as_they_are():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 4000)
    f = factors(y, rng.normal(5, 3, len(y)), 10)
    assert np.abs(f - 1).max() < 0.35


def _csv(tmp_path, paths, ages):
    out = tmp_path / "ages.csv"
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "apparent_age"])
        w.writerows((str(p), 0, a) for p, a in zip(paths, ages))
    return out


def test_apply_reweighs_guangzhou_only_and_refuses_a_film_without_an_age(tmp_path):
    y, a = _films()
    paths = [tmp_path / f"f{i}.jpeg" for i in range(len(y))]
    weights = np.r_[np.full(len(y), 0.5), np.full(50, 2.0)].astype(np.float32)
    labels = np.r_[y, np.ones(50)]
    out = apply(weights, paths, labels, _csv(tmp_path, paths, a))
    assert np.array_equal(out[len(y) :], weights[len(y) :])  # the other hospitals' films untouched
    assert np.allclose(out[: len(y)], 0.5 * factors(y, a))
    assert weighted_auc(y, a, out[: len(y)]) == pytest.approx(0.5, abs=0.03)
    with pytest.raises(SystemExit, match="no apparent age for 1 films"):
        apply(weights, [*paths, tmp_path / "new.jpeg"], np.r_[labels, 0], _csv(tmp_path, paths, a))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("path,label,logit\na.jpeg,0,1.0\n", "not an age_reader file"),
        ("path,label,apparent_age\na.jpeg,0,old\n", "not a number"),
    ],
)
def test_a_missing_or_wrong_file_is_a_clear_message(tmp_path, content, message):
    from training.age_balance import load

    path = tmp_path / "ages.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit, match=message):
        load(path)
