"""The gates' refusals against apparent age: the figures from arrays, and the command's checks."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.scope.result import NOTE, PASS, REFUSE, CheckResult
from training import scope_age


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 2.0, 3.0], [0.0, 50.0, 100.0]),
        ([5.0, 5.0, 9.0], [25.0, 25.0, 100.0]),
        ([3.0, 1.0], [100.0, 0.0]),
    ],
)
def test_percentile_ranks(values, expected):
    assert scope_age.percentile_ranks(np.array(values)).tolist() == pytest.approx(expected)


@pytest.mark.parametrize("bands", [2, 5, 10])
def test_every_film_falls_in_one_band_of_equal_size(bands):
    age = np.random.default_rng(1).normal(10, 5, 1000)
    refused = age > np.quantile(age, 0.99)
    rows = scope_age.band_shares(refused, age, bands)
    assert sum(n for *_, n in rows) == 1000 and sum(k for _, _, k, _ in rows) == refused.sum()
    assert max(n for *_, n in rows) - min(n for *_, n in rows) <= 1
    assert rows[-1][2] == refused.sum()  # the oldest-looking films are all in the last band


@pytest.mark.parametrize("slope", [-1.0, 1.0])
def test_summary_counts_by_class_and_follows_the_score_with_age(slope):
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(300), np.ones(700)].astype(int)
    age = rng.normal(5, 4, len(y)) + 6 * y
    score = slope * age + rng.normal(0, 1, len(y))
    refused = age > 20
    s = scope_age.summarise(y, age, refused, {"gate": score, "empty": np.full(len(y), np.nan)})
    assert s["by_class"] == {0: (int(refused[y == 0].sum()), 300), 1: (int(refused[y == 1].sum()), 700)}
    for c in (0, 1):
        assert np.sign(s["rho"][("gate", c)]) == slope and abs(s["rho"][("gate", c)]) > 0.8
        assert np.isnan(s["rho"][("empty", c)])  # a check with no score says nothing
    assert min(s["refused_age_percentiles"]) > 90


def test_rate_with_its_interval():
    assert scope_age.rate(2, 273).startswith("2 of 273 (0.73%; 0.1-2.6)")
    assert scope_age.rate(0, 0) == "-"


def test_films_without_an_apparent_age_are_a_message(tmp_path):
    if not (scope_age.DATA / "chest_xray" / "train").is_dir():
        pytest.skip("../shared/data/chest_xray/train is absent: the validation films are needed")
    with pytest.raises(SystemExit, match="no apparent age"):
        scope_age.screen_validation(tmp_path / "model.json", {})


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        (
            [CheckResult("size", PASS), CheckResult("classifier", REFUSE, "adult", 0.1, "adult_chest")],
            "classifier (adult_chest)",
        ),
        ([CheckResult("inverted", REFUSE), CheckResult("distance", REFUSE, "far", 40.0)], "distance"),
        ([CheckResult("inverted", REFUSE), CheckResult("age", NOTE)], "inverted"),
        ([CheckResult("age", NOTE)], "another rule"),
    ],
)
def test_the_deciding_check_names_the_refusal(checks, expected):
    assert scope_age.refused_by(checks) == expected
