"""The scope gate's pipeline end to end on a few images: train, export, quantize, fit the distance
statistics, ship into a copy of assets/, pin, and screen with it."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("tf2onnx")
pytest.importorskip("sklearn")

from pneumoscan.model.manifest import default_assets_dir  # noqa: E402
from pneumoscan.screener import Screener  # noqa: E402
from tests.shared import data_dir, scope_smoke_args  # noqa: E402


@pytest.mark.slow
def test_train_and_ship_a_scope_gate(tmp_path):
    data = data_dir()
    from convert.scope_gate import convert_gate
    from training.train_scope import main as train_scope

    runs = tmp_path / "runs"
    train_scope(scope_smoke_args(runs))
    run_dir = next(runs.glob("scope-2*"))
    scores = json.loads((run_dir / "scores.json").read_text())
    assert len(scores["val"]) > 0 and len(scores["scope"]) > 0
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("model.onnx", "model.json"):
        shutil.copy(default_assets_dir() / name, assets / name)
    config = convert_gate(run_dir, assets, reject=0.002, calib=8, smoke=True)
    assert config["classifier"]["threshold"] >= 0 and config["distance"]["threshold"] > 0
    screener = Screener(assets / "model.json")  # loads the new gate, checks every pin
    films = sorted((data / "fullres" / "NORMAL").iterdir())[:4]
    results = list(screener.screen(films))
    assert all(r.status in ("ok", "out_of_scope") and r.scope_in_score is not None for r in results)
