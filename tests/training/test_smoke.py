"""Train two steps on 32 images, export, quantize, verify, and screen with the result."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("tf2onnx")

from pneumoscan.model.manifest import Manifest  # noqa: E402
from pneumoscan.screener import Screener  # noqa: E402
from tests.shared import data_dir  # noqa: E402


@pytest.mark.slow
def test_train_export_quantize_verify(tmp_path):
    data = data_dir()
    from convert.__main__ import convert
    from training.evaluate import evaluate_run
    from training.train import TrainConfig, run

    cfg = TrainConfig(
        data=str(data / "chest_xray" / "train"), out=str(tmp_path / "runs"), epochs=1, steps=2, limit=32
    )
    run_dir = run(cfg)
    assert (run_dir / "best.keras").exists() and (run_dir / "history.csv").exists()
    # a run stopped early is evaluated from its checkpoint: the same films, the same scores
    from training.predict_run import predict

    written = (run_dir / "val_predictions.csv").read_text().splitlines()
    (run_dir / "val_predictions.csv").unlink()
    assert predict(run_dir) == [run_dir / "val_predictions.csv"]
    again = (run_dir / "val_predictions.csv").read_text().splitlines()
    assert [r.split(",")[:3] for r in again] == [r.split(",")[:3] for r in written]
    assert np.allclose(
        [[float(v) for v in r.split(",")[3:]] for r in again[1:]],
        [[float(v) for v in r.split(",")[3:]] for r in written[1:]],
        atol=1e-4,
    )
    result = evaluate_run(run_dir)
    assert set(result["thresholds"]) == {"screening", "high_sensitivity", "balanced"}
    assert (run_dir / "evaluation.png").stat().st_size > 10_000

    out = tmp_path / "assets"
    manifest = convert(run_dir, out, calib=32, smoke=True)
    v = manifest["verification"]
    assert v["fp32_vs_keras_ok"] and v["fp32_vs_keras_max_abs_diff"] < 1e-4
    assert manifest["precision"] in ("int8", "fp32")
    assert manifest["default_operating_point"] == "screening"
    check = manifest[
        "operating_point_check"
    ]  # every threshold carried to an unseen hospital's pneumonia films
    assert check["hospital"] == "hannover" and set(check["sensitivity"]) == set(manifest["thresholds"])
    # both heads went through: the subtype head is calibrated, verified and in the manifest
    assert manifest["outputs"]["viral_probability"] == "viral_probability"
    assert 0.0 <= manifest["subtype"]["threshold"] <= 1.0
    assert "subtype" in v["int8_vs_fp32"] and v["int8_vs_fp32"]["outputs"]["cam"]["mean_correlation"] > 0.9
    assert (out / "MODEL_CARD.md").read_text().count("|") > 10
    loaded = Manifest.load(out / "model.json")
    loaded.verify()
    assert json.loads((out / "model.json").read_text())["sha256"] == loaded.data["sha256"]

    # the average of several runs converts through the same path (here: one run twice)
    ens = convert([run_dir, run_dir], tmp_path / "ens", calib=16, smoke=True)
    assert len(ens["training"]["members"]) == 2 and ens["verification"]["fp32_vs_keras_ok"]
    assert "average of 2" in (tmp_path / "ens" / "MODEL_CARD.md").read_text()

    screener = Screener(out / "model.json")
    sample = sorted((data / "chest_xray" / "train" / "NORMAL").iterdir())[:3]
    results = list(screener.screen(sample, thumbnails=False))
    assert all(r.ok and 0 <= r.probability <= 1 and r.cam.shape == (14, 14) for r in results)
    assert all(r.viral_probability is not None for r in results)


@pytest.mark.slow
def test_a_multi_hospital_model_ships_with_the_gates_and_a_refitted_distance_check(tmp_path):
    """The shipping path of a model trained with other hospitals: convert, copy the learned gates in,
    refit the distance backstop, pin, screen."""
    import shutil

    data = data_dir()
    from convert.__main__ import convert
    from convert.distance_check import refit
    from pneumoscan.model.manifest import default_assets_dir
    from training.train import TrainConfig, run

    cfg = TrainConfig(
        data=str(data / "chest_xray" / "train"),
        out=str(tmp_path / "runs"),
        epochs=1,
        steps=2,
        limit=16,
        hospitals="shenzhen,montgomery,hannover",
    )
    run_dir = run(cfg)
    out = tmp_path / "assets"
    out.mkdir()
    for name in ("scope_gate.json", "scope_gate.onnx", "scope_gate_hospitals.onnx"):
        shutil.copy(default_assets_dir() / name, out / name)
    manifest = convert(run_dir, out, calib=16, smoke=True)
    assert manifest["training"]["other_hospital_images"] > 0
    assert "shenzhen, montgomery, hannover" in manifest["training"]["data"]
    # Hannover was trained on: the unseen check moves to the public collection's films
    assert manifest["operating_point_check"]["hospital"] == "collection"
    assert "from other hospitals" in (out / "MODEL_CARD.md").read_text()

    refit(out, data / "chest_xray" / "train", smoke=True)
    Manifest.load(out / "model.json").verify()
    screener = Screener(out / "model.json")  # every pin: model, gates, distance statistics
    films = sorted((data / "fullres" / "NORMAL").iterdir())[:2]
    results = list(screener.screen(films, thumbnails=False))
    assert all(r.scope_distance is not None and r.scope_in_score is not None for r in results)
