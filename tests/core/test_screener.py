"""The Screener with a tiny ONNX model built by the test (nothing fake is shipped)."""

from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest

from pneumoscan.errors import ModelError
from pneumoscan.reading.discovery import discover
from pneumoscan.screener import Screener


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 3, 16])
def test_one_result_per_file_in_input_order(tiny_manifest, mixed_folder, threads, batch):
    root, expected = mixed_folder
    files = discover([root])
    results = list(Screener(tiny_manifest, threads=threads, batch_size=batch).screen(files))
    assert [r.path for r in results] == files
    for r in results:
        assert r.status == expected[r.path.name], (r.path.name, r.reason)
        if r.ok:
            assert 0.0 <= r.probability <= 1.0 and r.result in ("PNEUMONIA", "NORMAL")
            assert r.cam.shape == (7, 7)  # the tiny test model's map
        else:
            assert r.reason and r.probability is None and r.result == ""


def test_probabilities_match_the_model_and_differ_between_images(tiny_manifest, mixed_folder):
    root, _ = mixed_folder
    results = [r for r in Screener(tiny_manifest).screen(discover([root])) if r.ok]
    probs = {r.path.name: r.probability for r in results}
    assert probs["a_dark.png"] != pytest.approx(probs["b_bright.jpg"], abs=0.05)
    # same pixels as PNG and as DICOM (windowed 1:1) give the same answer
    assert probs["a_dark.png"] == pytest.approx(probs["c_dicom_noext"], abs=1e-6)


def test_threshold_switch_relabels_without_rerun(tiny_manifest, mixed_folder):
    root, _ = mixed_folder
    r = next(r for r in Screener(tiny_manifest).screen(discover([root])) if r.ok)
    p = r.probability
    r.with_threshold("x", p - 1e-6)
    assert r.result == "PNEUMONIA"
    r.with_threshold("y", p + 1e-6)
    assert r.result == "NORMAL" and r.probability == p


def test_refuses_model_with_wrong_sha(tiny_manifest, tmp_path):
    d = tmp_path / "m"
    shutil.copytree(tiny_manifest.parent, d)
    with open(d / "model.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match"):
        Screener(d / "model.json")


def test_refuses_missing_or_bad_manifest(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Screener(tmp_path / "model.json")
    (tmp_path / "model.json").write_text(json.dumps({"version": "1"}))
    with pytest.raises(ModelError, match="lacks"):
        Screener(tmp_path / "model.json")


def test_unknown_operating_point(tiny_manifest):
    with pytest.raises(ModelError, match="operating point"):
        Screener(tiny_manifest, operating_point="nope")


def test_cancel_stops_early(tiny_manifest, mixed_folder):
    root, _ = mixed_folder
    files = discover([root]) * 10
    cancel = threading.Event()
    got = []
    for r in Screener(tiny_manifest, batch_size=2).screen(files, cancel=cancel):
        got.append(r)
        if len(got) == 3:
            cancel.set()
    assert 3 <= len(got) < len(files)


def test_thumbnails_are_small(tiny_manifest, mixed_folder):
    root, _ = mixed_folder
    for r in Screener(tiny_manifest).screen(discover([root]), thumbnails=True):
        if r.ok:
            assert max(r.thumbnail.shape) <= 96 and r.thumbnail.dtype == np.uint8


def test_a_failure_after_loading_becomes_an_error_row(tiny_manifest, mixed_folder, monkeypatch):
    import pneumoscan.prepare as prepare_module

    root, _ = mixed_folder
    real = prepare_module.preprocess

    def flaky(pixels, spec):
        if pixels.shape == (256, 200):
            raise ValueError("odd pixels")
        return real(pixels, spec)

    monkeypatch.setattr(prepare_module, "preprocess", flaky)
    results = list(Screener(tiny_manifest).screen(discover([root])))
    bad = [r for r in results if "odd pixels" in r.reason]
    assert bad and all(r.status == "error" for r in bad)
    assert len(results) == len(discover([root]))
