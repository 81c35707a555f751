"""What the scope gate cost at a site: refused labelled films counted, by class and check, and the
sensitivity that counts a refused pneumonia film as not flagged."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from pneumoscan import cli
from pneumoscan.scope.result import PASS, REFUSE, CheckResult
from pneumoscan.screener import Screener
from pneumoscan.validation import validate
from pneumoscan.validation.scope_cost import check_words, cost_lines, gate_cost, refusal_check
from tests.core.validation.helpers import labelled_folder, site_with_refusals


def _refused(check: str, label: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        path=f"{check}.png", checks=[CheckResult("size", PASS), CheckResult(check, REFUSE, "why", 0.1, label)]
    )


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        (
            [CheckResult("classifier_hospitals", REFUSE, "adult", 0.2, "adult_chest")],
            "classifier_hospitals: adult_chest",
        ),
        (
            [
                CheckResult("inverted", REFUSE, "x"),
                CheckResult("classifier", REFUSE, "y", 0.1, "other_radiograph"),
            ],
            "classifier: other_radiograph",
        ),
        ([CheckResult("distance", REFUSE, "far", 50.0)], "distance"),
        ([], "scope gate"),
    ],
)
def test_the_check_that_refused_is_named(checks, expected):
    assert refusal_check(SimpleNamespace(checks=checks)) == expected


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("classifier: adult_chest", "looks adult"),
        ("classifier_hospitals: adult_chest", "looks adult"),
        ("classifier: not_radiograph", "not a radiograph"),
        ("distance", "far from the training films"),
        ("exposure", "exposure"),
    ],
)
def test_checks_are_said_in_words(name, words):
    assert check_words(name) == words


def test_gate_cost_counts_refusals_by_class_and_check_and_sensitivity_with_them():
    refused = [
        (_refused("classifier", "adult_chest"), 1),
        (_refused("classifier", "adult_chest"), 1),
        (_refused("distance"), 0),
    ]
    y = np.array([1, 1, 1, 1, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.3, 0.6, 0.1, 0.7, 0.2])
    cost = gate_cost(refused, y, p, {"shipped": ("shipped default", 0.5), "site_target": ("site", 0.25)})
    assert cost["refused"]["k"] == 3 and cost["refused"]["n"] == 10
    assert (cost["by_class"]["pneumonia"]["k"], cost["by_class"]["pneumonia"]["n"]) == (2, 6)
    assert (cost["by_class"]["normal"]["k"], cost["by_class"]["normal"]["n"]) == (1, 4)
    assert cost["by_check"] == {"classifier: adult_chest": 2, "distance": 1}
    shipped, site = cost["sensitivity_with_gate"]["shipped"], cost["sensitivity_with_gate"]["site_target"]
    assert (shipped["k"], shipped["n"]) == (3, 6)  # 0.9, 0.8, 0.6 of six pneumonia films
    assert (site["k"], site["n"]) == (4, 6)
    lo, hi = cost["refused"]["ci95"]
    assert lo < 0.3 < hi
    lines = cost_lines(cost)
    assert (
        "refused 3 of your 10 labelled films" in lines[0]
        and "2 of 6 pneumonia" in lines[0]
        and "looks adult 2, far from the training films 1" in lines[0]
    )
    assert any("shipped default (0.500) flags 3 of 6" in line for line in lines)


def test_a_gate_switched_off_is_said_not_counted_as_none_refused(tiny_manifest, tmp_path):
    root = site_with_refusals(tmp_path / "site")
    report = validate([root], Screener(tiny_manifest, scope_gate=False), n_boot=100)
    assert report.scope["gate_on"] is False
    (line,) = cost_lines(report.scope)
    assert "switched off" in line and "refused none" not in line


def test_no_films_means_no_interval_and_valid_json():
    import json

    cost = gate_cost([], np.array([], dtype=int), np.array([]), {})
    assert cost["refused"]["ci95"] == [None, None] and cost_lines(cost) == []
    json.loads(json.dumps(cost, allow_nan=False))


def test_nothing_refused_is_said_with_its_upper_bound():
    cost = gate_cost(
        [], np.array([1, 0, 1]), np.array([0.9, 0.1, 0.8]), {"shipped": ("shipped default", 0.5)}
    )
    assert cost["refused"]["k"] == 0 and cost["by_check"] == {}
    assert cost["sensitivity_with_gate"]["shipped"]["k"] == 2
    (line,) = cost_lines(cost)
    assert line.startswith("The scope gate refused none of your 3 labelled films (95% CI 0-")


def test_validate_reports_what_the_gate_cost_on_labelled_films(tiny_manifest, tmp_path):
    root = site_with_refusals(tmp_path / "site")
    report = validate([root], Screener(tiny_manifest), n_boot=100)
    assert report.counts["films"] == 100  # the refused films are not in the figures above ...
    assert len(report.not_used["out_of_scope"]) == 4  # ... and are listed
    s = report.scope
    assert (s["refused"]["k"], s["refused"]["n"]) == (4, 104)
    assert (s["by_class"]["pneumonia"]["k"], s["by_class"]["pneumonia"]["n"]) == (3, 63)
    assert s["by_check"] == {"exposure": 3, "size": 1}
    assert sorted((f["label"], f["check"]) for f in s["films"]) == [
        ("normal", "exposure"),
        ("pneumonia", "exposure"),
        ("pneumonia", "exposure"),
        ("pneumonia", "size"),
    ]
    shipped = next(op for op in report.operating_points if op.key == "shipped")
    with_gate = s["sensitivity_with_gate"]["shipped"]
    assert with_gate["n"] == 63 and with_gate["k"] == shipped.confusion["tp"]
    assert "The scope gate refused 4 of your labelled films (3.8%), 3 of them pneumonia" in report.summary


def test_unlabelled_refused_films_are_not_counted_as_the_sites(tiny_manifest, tmp_path):
    root = labelled_folder(tmp_path / "site")
    Image.fromarray(np.full((240, 240), 128, np.uint8)).save(root / "misc" / "flat.png")
    report = validate([root], Screener(tiny_manifest), n_boot=100)
    assert len(report.not_used["out_of_scope"]) == 1
    assert report.scope["refused"]["k"] == 0 and report.scope["refused"]["n"] == 100
    assert "scope gate" not in report.summary


def test_cli_prints_and_writes_the_gate_cost(tiny_manifest, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PNEUMOSCAN_CONFIG_DIR", str(tmp_path / "config"))
    root = site_with_refusals(tmp_path / "site")
    out = tmp_path / "v" / "validation.html"
    assert (
        cli.main(["validate", str(root), "-o", str(out), "--model", str(tiny_manifest), "--bootstrap", "100"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "The scope gate refused 4 of your 104 labelled films" in printed and "flags" in printed
    page = out.read_text()
    assert "What the scope gate cost here" in page and "exposure 3, size 1" in page
    assert (
        "refused labelled films: 4" in page and f"pneumonia: {root / 'PNEUMONIA' / 'tiny.png'} (size)" in page
    )


def _refused_by(*refusals: tuple[str, str]) -> SimpleNamespace:
    checks = [CheckResult("size", PASS)] + [CheckResult(c, REFUSE, "why", 0.1, lab) for c, lab in refusals]
    return SimpleNamespace(path="film.png", checks=checks)


@pytest.mark.parametrize(
    ("films", "said"),
    [
        (
            [[("classifier", "adult_chest")], [("distance", "")]],
            "2 of these refusals are of the kind a DICOM's own tags outweigh",
        ),
        (
            [[("classifier_hospitals", "not_radiograph"), ("distance", "")]],
            "1 of these refusals are of the kind",
        ),
        ([[("classifier", "other_radiograph")], [("inverted", "")]], None),  # tags never overrule these
        ([[("distance", ""), ("inverted", "")]], None),  # one refusal the tags overrule, one they do not
    ],
)
def test_the_report_says_which_refusals_a_childs_dicom_tags_would_assess(films, said):
    refused = [(_refused_by(*checks), 1) for checks in films]
    cost = gate_cost(refused, np.array([1, 0]), np.array([0.9, 0.1]), {})
    hint = [line for line in cost_lines(cost) if "DICOM's own tags" in line]
    assert hint[0].startswith(said) if said else hint == [], cost_lines(cost)
