"""A result judged again at a site's own learned-gate thresholds: nothing is re-run, the shipped
verdict comes back when the site's profile is left, and only the learned gates' refusals move."""

from __future__ import annotations

from pathlib import Path

import pytest

from pneumoscan.prepare import apply_refusal
from pneumoscan.results import ScreenResult, Status
from pneumoscan.scope.result import PASS, REFUSE, CheckResult
from tests.shared import screened

SITE = {"classifier": 0.5, "classifier_hospitals": 0.2}


def test_a_learned_refusal_within_the_site_gate_is_assessed_and_comes_back():
    r = screened(CheckResult("classifier", REFUSE, "looks adult (gate score 0.55 < 0.62)", 0.55))
    assert r.out_of_scope and r.probability is None and r.cam is None
    r.with_threshold("site:a", 0.4, SITE)
    assert r.ok and r.probability == 0.8 and r.flagged and r.cam is not None
    assert any("passes this site's gate" in c.reason for c in r.checks)
    (note,) = [n for n in r.notes if "site's gate" in n]  # the report's notes column says so, once
    r.with_threshold("site:a", 0.4, SITE)
    assert r.notes.count(note) == 1
    r.with_threshold("screening", 0.5, None)  # back to a shipped operating point: the shipped verdict
    assert r.out_of_scope and r.probability is None and r.cam is None
    assert not any("site's gate" in n for n in r.notes)
    assert r.reason.startswith("Not assessed: looks adult")


@pytest.mark.parametrize(
    "checks",
    [
        [CheckResult("classifier", REFUSE, "far", 0.1)],  # beyond the site's threshold
        [CheckResult("classifier", REFUSE, "adult", 0.55), CheckResult("distance", REFUSE, "far", 40.0)],
        [CheckResult("exposure", REFUSE, "blank")],
    ],
)
def test_other_refusals_stay(checks):
    r = screened(*checks)
    r.with_threshold("site:a", 0.4, SITE)
    assert r.out_of_scope and r.probability is None


def test_a_film_refused_before_the_model_has_nothing_to_show():
    r = ScreenResult(path=Path("f.png"), status=Status.OK, operating_point="screening", threshold=0.5)
    r.checks = [CheckResult("classifier", REFUSE, "adult", 0.55)]
    apply_refusal(r, True, final=True)
    r.with_threshold("site:a", 0.4, SITE)
    assert r.out_of_scope and r.probability is None


def test_an_assessed_film_keeps_its_probability_and_label():
    r = screened(CheckResult("classifier", PASS, score=0.9), probability=0.3)
    r.with_threshold("site:a", 0.25, SITE)
    assert r.ok and r.probability == 0.3 and r.flagged
    r.with_threshold("screening", 0.5, None)
    assert r.ok and not r.flagged


def test_with_the_gate_switched_off_nothing_is_judged_again():
    r = screened(CheckResult("classifier", REFUSE, "adult", 0.55), gate_on=False)
    assert r.ok and any("Scope gate off" in n for n in r.notes)
    r.with_threshold("site:a", 0.4, SITE)
    assert r.ok and r.checks[-1].verdict == REFUSE  # recorded as the shipped gate said


def test_an_adapted_heads_probability_follows_the_site_gate():
    r = screened(CheckResult("classifier", REFUSE, "adult", 0.55))
    r.head_probabilities = {"site:a": 0.35}
    r.with_threshold("site:a", 0.3, SITE)
    assert r.ok and r.probability == 0.35
    r.with_threshold("screening", 0.5, None)
    assert r.out_of_scope and r.probability is None
    r.with_threshold("balanced", 0.7, None)
    assert r.probability is None  # a refused film shows no probability at any operating point


def test_every_output_says_a_film_was_assessed_under_the_sites_gate():
    from pneumoscan.outputs.dicom.wording import verdict

    r = screened(CheckResult("classifier", REFUSE, "looks adult", 0.55))
    assert verdict(r).startswith("NOT ASSESSED: looks adult")
    r.with_threshold("site:a", 0.4, SITE)
    assert verdict(r) == "PNEUMONIA suspected, p=0.80, site profile a, assessed under this site's scope gate"
    r.with_threshold("site:b", 0.4, None)
    assert verdict(r).startswith("NOT ASSESSED")
