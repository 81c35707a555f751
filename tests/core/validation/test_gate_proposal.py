"""The site gate a validation proposes: the smallest loosening that brings the refused labelled films
to 1%, never past the shipped limit, with what it lets through; adopted with the threshold."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from pneumoscan.model.profiles import ProfileError, SiteProfile
from pneumoscan.scope.result import REFUSE, CheckResult
from pneumoscan.scope.site_gate import shifted
from pneumoscan.validation.adoption import adopt
from pneumoscan.validation.gate_proposal import (
    proposal_lines,
    propose_gate,
    scope_lines,
    sensitivity_with_site_gate,
)
from tests.core.validation.helpers import PROFILE_FIELDS
from tests.shared import screened

CONFIG = {
    "classifier": {"threshold": 0.6},
    "classifier_hospitals": {"threshold": 0.25},
    "site_limit": {
        "max_shift": 1.0,
        "images": {"adult_cxr": 193},
        "refused_by_shift": [
            {"shift": 0.0, "adult_cxr": 180},
            {"shift": 0.5, "adult_cxr": 173},
            {"shift": 1.0, "adult_cxr": 168},
        ],
    },
}


def refused_film(score: float, label: int, probability: float = 0.7, check: str = "classifier"):
    r = screened(
        CheckResult(check, REFUSE, f"looks adult (gate score {score:.2f})", score, "adult_chest"),
        probability=probability,
    )
    return r, label


def _score_needing(shift: float, t: float = 0.6) -> float:
    return shifted(t, shift)


def test_within_one_percent_nothing_is_proposed():
    refused = [refused_film(0.5, 1)]
    out = propose_gate(refused, 100, CONFIG, 0.3)
    assert out["shift"] == 0 and "within 1%" in out["why"]


def test_the_smallest_loosening_that_reaches_one_percent():
    # 100 films: 1 may stay refused; films need shifts 0.2, 0.4 and 0.9
    refused = [refused_film(_score_needing(s) + 1e-9, lab) for s, lab in ((0.2, 1), (0.4, 0), (0.9, 1))]
    out = propose_gate(refused, 100, CONFIG, 0.5)
    assert out["shift"] == pytest.approx(0.4, abs=1e-5)
    assert out["refused_after"]["k"] == 1 and out["refused_before"]["k"] == 3
    assert [f["label"] for f in out["let_through"]] == ["pneumonia", "normal"]
    assert all(f["flagged_at_site_threshold"] for f in out["let_through"])  # 0.7 >= 0.5
    assert out["release_cost"] == {
        "at_shift": 0.5,  # the next measured row at or beyond 0.4: never flattering
        "adults": 173,
        "adults_shipped": 180,
        "adults_images": 193,
    }
    assert all(r.out_of_scope for r, _ in refused)  # put back as screened


def test_never_past_the_shipped_limit():
    refused = [refused_film(_score_needing(s) + 1e-9, 1) for s in (0.3, 2.0, 3.0)]
    out = propose_gate(refused, 100, CONFIG, 0.5)
    assert out["shift"] == pytest.approx(0.3, abs=1e-5) and len(out["let_through"]) == 1
    assert "limit" in out["why"]


@pytest.mark.parametrize(
    ("config", "refused", "why"),
    [
        (CONFIG, [(screened(CheckResult("distance", REFUSE, "far", 40.0)), 1)] * 3, "tag, pixel or distance"),
        ({**CONFIG, "site_limit": {}}, None, "no refused film comes within"),
        ({}, None, "ships no learned gate"),
    ],
)
def test_no_proposal_says_why(config, refused, why):
    refused = refused or [refused_film(0.5, 1) for _ in range(3)]
    out = propose_gate(refused, 100, config, 0.5)
    assert out["shift"] == 0 and why in out["why"]
    assert proposal_lines(out) == [f"No site gate proposed: {out['why']}."]


def test_sensitivity_counts_every_pneumonia_film():
    proposal = {
        "let_through": [
            {"label": "pneumonia", "probability": 0.6},
            {"label": "pneumonia", "probability": 0.1},
        ]
    }
    y, p = np.array([1, 1, 0]), np.array([0.9, 0.2, 0.1])
    got = sensitivity_with_site_gate(proposal, y, p, refused_pneumonia=3, threshold=0.5)
    assert (got["k"], got["n"]) == (2, 5)  # 0.9 and the let-through 0.6; one refused stays missed


def test_the_lines_say_the_thresholds_the_films_and_the_cost():
    refused = [
        refused_film(_score_needing(s) + 1e-9, lab, prob)
        for s, lab, prob in ((0.2, 1, 0.9), (0.4, 0, 0.1), (0.9, 1, 0.9))
    ]
    out = propose_gate(refused, 100, CONFIG, 0.5)
    text = " ".join(proposal_lines(out))
    assert "loosened by 0.40" in text and "classifier 0.600 -> " in text and "limit is 1.00" in text
    assert "refuse 1 instead of 3" in text
    assert "1 pneumonia (1 flagged" in text and "1 normal (0 flagged)" in text
    assert "173 of 193 adult frontal films" in text and "shipped gate: 180" in text


def _report(scope: dict):
    from pneumoscan.validation.points import OperatingPoint

    y, p = np.array([1] * 40 + [0] * 40), np.r_[np.full(40, 0.9), np.full(40, 0.1)]
    point = OperatingPoint.measure("site_target", "proposed site threshold", "r", y, p, 0.5)
    return SimpleNamespace(
        counts={"films": 80, "pneumonia": 40, "normal": 40},
        adapted=None,
        proposals={"site_target": {"threshold": 0.5, "rule": "r"}},
        operating_points=[point],
        auc={"value": 1.0},
        model_version="v",
        model_sha256="s",
        created="c",
        labelled_files_sha256="h",
        target_sensitivity=0.99,
        scope=scope,
    )


@pytest.mark.parametrize("take_gate", [True, False])
def test_the_proposed_gate_is_adopted_with_the_threshold_unless_declined(take_gate):
    refused = [refused_film(_score_needing(s) + 1e-9, 1) for s in (0.2, 0.4)]
    proposal = propose_gate(refused, 80, CONFIG, 0.5)
    profile = adopt(_report({"site_gate": proposal}), "clinic", site_gate=take_gate)
    assert (profile.gate is not None) == take_gate
    if take_gate:
        assert profile.gate_shift == pytest.approx(proposal["shift"])
        again = SiteProfile.from_dict(json.loads(json.dumps(profile.__dict__)))
        assert again.gate_shift == profile.gate_shift


def test_no_proposal_adopts_the_shipped_gate():
    assert adopt(_report({"site_gate": {"shift": 0.0}}), "clinic").gate is None
    assert adopt(_report({}), "clinic").gate is None


@pytest.mark.parametrize("gate", [{"shift": -1}, {"shift": "x"}, {"shift": float("nan")}, {}, [0.3]])
def test_a_profile_with_a_bad_gate_is_refused(gate):
    with pytest.raises(ProfileError, match="gate"):
        SiteProfile.from_dict({**PROFILE_FIELDS, "gate": gate})


def test_the_cost_lines_carry_the_proposal():
    cost = {
        "refused": {"k": 3, "n": 100, "value": 0.03, "ci95": [0.006, 0.085]},
        "by_class": {"pneumonia": {"k": 2, "n": 50}, "normal": {"k": 1, "n": 50}},
        "by_check": {"classifier: adult_chest": 3},
        "sensitivity_with_gate": {},
        "site_gate": {
            "shift": 0.0,
            "why": "every refusal is a tag, pixel or distance check's",
            "refused_before": {"k": 3},
        },
    }
    assert (
        scope_lines(cost)[-1] == "No site gate proposed: every refusal is a tag, pixel or distance check's."
    )
