"""convert.operating_point: the screening point added to converted assets, made the default, pinned."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")

from convert.pin import pin  # noqa: E402
from pneumoscan.model.manifest import Manifest  # noqa: E402
from pneumoscan.screener import Screener  # noqa: E402
from tests.shared import data_dir  # noqa: E402

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.mark.slow
def test_screening_is_added_as_the_pinned_default_and_checked_at_an_unseen_hospital(tmp_path):
    data = data_dir()
    from convert.operating_point import add_screening

    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    m = json.loads((assets / "model.json").read_text())
    for block in (m["thresholds"], m["operating_points"], m["threshold_uncertainty"]["bootstrap"]):
        block.pop("screening", None)  # as converted before the point existed
    m["default_operating_point"] = "high_sensitivity"
    m.pop("operating_point_check", None)
    (assets / "model.json").write_text(json.dumps(m))
    pin(assets)
    assert Screener(assets / "model.json").operating_point == "high_sensitivity"

    out = add_screening(assets, data)
    Manifest.load(assets / "model.json").verify()
    screener = Screener(assets / "model.json")  # refuses decision fields that differ from the pin
    assert screener.operating_point == "screening"
    t = screener.thresholds
    assert t["high_sensitivity"] <= t["screening"] <= t["balanced"]
    val = out["metrics"]["shipped"]["validation"]["operating_points"]["screening"]
    assert val["sensitivity"] >= 0.98 and val["threshold"] == t["screening"]
    # the gate's refusals count as missed: the product, gate in, keeps the 0.98 on every pneumonia film
    gate = out["screening_gate"]
    assert (
        gate["refused"]["pneumonia"] > 0
        and "refuses counted as missed" in out["operating_points"]["screening"]
    )
    assert gate["flagged_with_gate"] >= 0.98 * gate["films"]["pneumonia"]
    tp = val["confusion"]["tp"]  # every pneumonia film at or above the threshold, refused ones too
    assert tp - gate["refused"]["pneumonia"] <= gate["flagged_with_gate"] <= tp
    check = out["operating_point_check"]
    # the shipped model trained on Hannover: the check moves to the public collection's films
    assert check["hospital"] == "collection" and set(check["sensitivity"]) == set(t)
    card = (assets / "MODEL_CARD.md").read_text()
    assert "Confusion matrix at `screening`" in card and "With the scope gate in, as the product runs" in card
