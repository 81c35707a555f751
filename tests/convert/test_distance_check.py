"""convert.distance_check: the distance backstop refitted for the model in assets/, pinned, used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from convert.distance_check import fit_distance, refit  # noqa: E402
from pneumoscan.model.manifest import Manifest  # noqa: E402
from pneumoscan.screener import Screener  # noqa: E402
from tests.shared import data_dir  # noqa: E402

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_the_fitted_statistics_as_stored_give_the_plain_mahalanobis_distance(tmp_path):
    """Fitted in float64, stored as a float32 upper triangle, read back by the screener's class."""
    from pneumoscan.scope.distance import FeatureDistance

    rng = np.random.default_rng(0)
    f = rng.normal(size=(200, 5)) * [1, 2, 3, 4, 5]
    mean, precision, _ = fit_distance(f)
    upper = precision[np.triu_indices(len(precision))].astype(np.float32)
    np.savez(tmp_path / "stats.npz", mean=mean.astype(np.float32), precision_upper=upper)
    stored = FeatureDistance.from_file(tmp_path / "stats.npz", threshold=10.0)
    d = f[:3] - mean
    expected = np.sqrt(np.diag(d @ precision @ d.T))
    np.testing.assert_allclose(stored.distances(f[:3]), expected, rtol=1e-5)


def test_refit_for_a_freshly_converted_model_links_the_gate_and_pins(tmp_path):
    data = data_dir() / "chest_xray" / "train"
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    manifest = json.loads((assets / "model.json").read_text())
    manifest.pop("scope_gate")  # as convert writes it: the gate files copied in, not yet linked
    (assets / "model.json").write_text(json.dumps(manifest))
    before = json.loads((assets / "scope_gate.json").read_text())

    out = refit(assets, data, smoke=True)

    gate = json.loads((assets / "scope_gate.json").read_text())
    m = Manifest.load(assets / "model.json")
    m.verify()
    assert gate["distance"]["main_model_sha256"] == m.sha256
    assert gate["distance"]["threshold"] == out["threshold"] > 0
    assert gate["classifier"] == before["classifier"]  # the learned gates are untouched
    assert gate["classifier_hospitals"] == before["classifier_hospitals"]
    assert 0 < out["films"] and out["distance_rejects"] <= out["either_rejects"] <= out["films"]
    films = sorted((data_dir() / "fullres" / "NORMAL").iterdir())[:2]
    results = list(Screener(assets / "model.json").screen(films))  # loads every pin
    assert all(r.scope_distance is not None for r in results)


@pytest.mark.parametrize(
    ("fit_on", "words"), [("guangzhou", "training films"), ("trained", "other hospitals")]
)
def test_the_statistics_say_which_films_they_describe(tmp_path, fit_on, words):
    """Fitted on every film the model trained on, the other hospitals' films join Guangzhou's."""
    data = data_dir() / "chest_xray" / "train"
    if not data.is_dir():
        pytest.skip("the chest_xray data set is not beside the repo")
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    refit(assets, data, smoke=True, fit_on=fit_on)
    distance = json.loads((assets / "scope_gate.json").read_text())["distance"]
    assert distance["fit_on"] == fit_on and words in distance["fitted_on"]
    Manifest.load(assets / "model.json").verify()


def test_the_other_hospitals_are_the_ones_the_manifest_trained_on(tmp_path):
    from convert.distance_check import other_trained_films

    data = data_dir() / "chest_xray" / "train"
    if not (data.parent.parent / "other_hospitals").is_dir():
        pytest.skip("the other hospitals' films are not beside the repo")
    manifest = json.loads((ASSETS / "model.json").read_text())
    paths = other_trained_films(ASSETS, data)
    assert len(paths) == manifest["training"]["other_hospital_images"]
    manifest["training"]["config"]["hold_out_hospital"] = "montgomery"
    (tmp_path / "model.json").write_text(json.dumps(manifest))
    fewer = other_trained_films(tmp_path, data)
    assert 0 < len(fewer) < len(paths) and not any("MCUCXR" in p.name for p in fewer)


def test_an_unknown_fit_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fit_on"):
        refit(tmp_path, tmp_path, fit_on="everything")
