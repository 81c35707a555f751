"""The scope-gate section of the model card: written from the shipped configuration, history kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from training.card_sections import SECTIONS, kept_section, replace_section
from training.scope_card import card_section

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def report() -> dict:
    per_class = {"adult_cxr": {"n": 301, "out": 262}, "non_medical": {"n": 171, "out": 171}}
    return {
        "validation": {"films": 1054, "out_of_scope": 5, "shifted": {"films": 1054, "out_of_scope": 19}},
        "scope_set": {"per_class": per_class},
    }


@pytest.mark.parametrize("second", [True, False])
def test_the_section_describes_the_gates_as_configured(second):
    gate = json.loads((ASSETS / "scope_gate.json").read_text())
    if not second:
        del gate["classifier_hospitals"]
    text = card_section(report(), gate)
    assert f"{gate['classifier']['threshold']:.4f}" in text and "5 of 1054 (0.47%)" in text
    assert "| adult_cxr | 301 | 87.0% |" in text
    assert ("second learned gate" in text) == second
    if second:
        assert f"below {gate['classifier_hospitals']['threshold']:.4f}" in text
        assert gate["classifier_hospitals"]["threshold_rule"] in text


def test_rewriting_the_section_keeps_the_history(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    shutil.copyfile(ASSETS / "MODEL_CARD.md", card)
    history = kept_section(card, "scope-gate-history")
    assert "## How the scope gate got here" in history
    gate = json.loads((ASSETS / "scope_gate.json").read_text())
    replace_section(card, card_section(report(), gate))
    assert kept_section(card, "scope-gate-history") == history
    assert "| adult_cxr | 301 | 87.0% |" in kept_section(card)


def test_regenerating_the_card_keeps_every_section(tmp_path):
    """``convert`` writes the card anew around the sections evaluation commands own."""
    from convert.card import write_card

    card = tmp_path / "MODEL_CARD.md"
    shutil.copyfile(ASSETS / "MODEL_CARD.md", card)
    before = {name: kept_section(card, name) for name in SECTIONS}
    assert all(before.values())
    write_card(card, json.loads((ASSETS / "model.json").read_text()))
    assert {name: kept_section(card, name) for name in SECTIONS} == before
