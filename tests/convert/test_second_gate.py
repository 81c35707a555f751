"""convert.second_gate --rule: the shipped second gate's threshold set again by the rule, pinned, used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from convert import second_gate
from pneumoscan.screener import Screener
from training import second_gate_rule

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    copy = tmp_path / "assets"
    shutil.copytree(ASSETS, copy)
    return copy


@pytest.mark.parametrize("share", [0.005, 0.01, 0.05])
def test_the_rule_sets_the_threshold_and_the_screener_uses_it(assets, monkeypatch, share):
    """Scores stand in for the validation films (the real ones are screened by ``second_gate_rule``)."""
    rng = np.random.default_rng(7)
    p_val, p_shift = rng.beta(8, 1, 1054), rng.beta(5, 1, 1054)
    monkeypatch.setattr(second_gate_rule, "shipped_second_scores", lambda _: (p_val, p_shift))
    written = second_gate.rethreshold(assets, share)
    expected = min(np.quantile(p_val, share), np.quantile(p_shift, share))
    assert written["threshold"] == pytest.approx(expected)
    assert f"{share:.1%} quantile" in written["threshold_rule"]
    refused = written["validation_refused"]
    assert refused == {
        "films": 1054,
        "clean": int((p_val < expected).sum()),
        "shifted": int((p_shift < expected).sum()),
    }
    assert refused["clean"] <= share * 1054 + 1 and refused["shifted"] <= share * 1054 + 1
    screener = Screener(assets / "model.json")  # pinned again: a stale digest would refuse to load
    assert screener.gate.second.threshold == pytest.approx(expected)
    gate = json.loads((assets / "scope_gate.json").read_text())
    assert gate["distance"]["main_model_sha256"] == screener.manifest.sha256


@pytest.mark.parametrize("argv", [[], ["--rule", "1"], ["--rule", "0"]])
def test_the_command_refuses_nothing_to_do_or_a_share_out_of_range(argv, capsys):
    with pytest.raises(SystemExit):
        second_gate.main(argv)
    assert "error" in capsys.readouterr().err


def test_assets_without_a_second_gate_get_a_clear_message(assets):
    gate = json.loads((assets / "scope_gate.json").read_text())
    del gate["classifier_hospitals"]
    (assets / "scope_gate.json").write_text(json.dumps(gate))
    with pytest.raises(SystemExit, match="no second gate"):
        second_gate.rethreshold(assets, 0.01)
