"""A site's own learned-gate thresholds: one shift on the log-odds scale, within the shipped limit,
and only the learned gates' refusals ever move."""

from __future__ import annotations

import math

import pytest

from pneumoscan.scope.result import NOTE, PASS, REFUSE, CheckResult
from pneumoscan.scope.site_gate import (
    loosen,
    max_shift,
    refused_by_learned_only,
    shift_needed,
    shifted,
    shipped_thresholds,
    site_thresholds,
)

CONFIG = {
    "classifier": {"threshold": 0.6},
    "classifier_hospitals": {"threshold": 0.25},
    "distance": {"threshold": 34.0},
    "site_limit": {"max_shift": 0.5},
}


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.mark.parametrize("t", [0.05, 0.25, 0.6, 0.95])
@pytest.mark.parametrize("shift", [0.0, 0.3, 1.0, 4.0])
def test_a_shift_moves_the_threshold_down_by_that_much_log_odds(t, shift):
    assert _logit(shifted(t, shift)) == pytest.approx(_logit(t) - shift)
    assert shifted(t, shift) <= t


def test_only_the_learned_gates_have_site_thresholds():
    assert shipped_thresholds(CONFIG) == {"classifier": 0.6, "classifier_hospitals": 0.25}
    assert shipped_thresholds({"classifier": {"threshold": 0.6}}) == {"classifier": 0.6}
    assert shipped_thresholds({}) == {}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ({"max_shift": 0.5}, 0.5),
        ({"max_shift": -1}, 0.0),
        ({"max_shift": float("nan")}, 0.0),
        ({"max_shift": "wide"}, 0.0),
        ({}, 0.0),
        (None, 0.0),
    ],
)
def test_a_gate_without_a_measured_limit_cannot_be_loosened(limit, expected):
    config = {**CONFIG, "site_limit": limit} if limit is not None else {"classifier": {"threshold": 0.6}}
    assert max_shift(config) == expected


@pytest.mark.parametrize("asked", [0.2, 0.5, 3.0])
def test_site_thresholds_never_go_past_the_shipped_limit(asked):
    got = site_thresholds(CONFIG, asked)
    used = min(asked, 0.5)
    assert got["classifier"] == pytest.approx(shifted(0.6, used))
    assert got["classifier_hospitals"] == pytest.approx(shifted(0.25, used))


def test_a_negative_shift_never_tightens():
    assert site_thresholds(CONFIG, -2.0) == pytest.approx({"classifier": 0.6, "classifier_hospitals": 0.25})


@pytest.mark.parametrize(
    ("check", "score", "verdict"),
    [
        ("classifier", 0.55, NOTE),  # within the site's threshold: assessed, with a note
        ("classifier", 0.30, REFUSE),  # too far
        ("classifier_hospitals", 0.22, NOTE),
        ("distance", 35.0, REFUSE),  # the backstop never moves
        ("exposure", None, REFUSE),
    ],
)
def test_loosen_moves_only_learned_refusals_within_reach(check, score, verdict):
    thresholds = site_thresholds(CONFIG, 0.5)
    (out,) = loosen([CheckResult(check, REFUSE, "shipped reason", score)], thresholds)
    assert out.verdict == verdict
    if verdict == NOTE:
        assert "passes this site's gate" in out.reason and "shipped reason" in out.reason


def test_loosen_leaves_passes_and_notes_alone():
    checks = [
        CheckResult("classifier", PASS, score=0.9),
        CheckResult("classifier_hospitals", NOTE, "tags", 0.1),
    ]
    assert loosen(checks, site_thresholds(CONFIG, 0.5)) == checks


@pytest.mark.parametrize(
    ("checks", "needed"),
    [
        ([CheckResult("classifier", REFUSE, "", 0.5)], _logit(0.6) - _logit(0.5)),
        (
            [
                CheckResult("classifier", REFUSE, "", 0.5),
                CheckResult("classifier_hospitals", REFUSE, "", 0.1),
            ],
            _logit(0.25) - _logit(0.1),
        ),
        ([CheckResult("classifier", REFUSE, "", 0.5), CheckResult("distance", REFUSE, "", 40.0)], None),
        ([CheckResult("classifier", PASS, "", 0.9)], None),
        ([CheckResult("classifier", REFUSE, "", None)], None),
    ],
)
def test_the_shift_a_refused_film_needs(checks, needed):
    got = shift_needed(checks, shipped_thresholds(CONFIG))
    assert got == (None if needed is None else pytest.approx(needed))
    assert refused_by_learned_only(checks) == (
        needed is not None or checks[0].score is None and checks[0].refused
    )
