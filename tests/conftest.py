"""Shared fixtures: a tiny ONNX model with a real manifest, a mixed folder of files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.dicom_factory import gradient, write_dicom
from tests.model_factory import build_tiny_onnx, write_manifest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def tiny_manifest(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("model")
    build_tiny_onnx(d / "model.onnx")
    return write_manifest(d)


def make_mixed_folder(root: Path) -> dict[str, str]:
    """Good and bad files, nested; returns name -> expected status."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sub").mkdir(exist_ok=True)
    expected = {}
    img = gradient(256, 200)
    Image.fromarray(img).save(root / "a_dark.png")
    expected["a_dark.png"] = "ok"
    Image.fromarray(255 - img).convert("RGB").save(root / "sub" / "b_bright.jpg", quality=90)
    expected["b_bright.jpg"] = "ok"
    write_dicom(root / "c_dicom_noext", img, "explicit", window=(128, 256))
    expected["c_dicom_noext"] = "ok"
    write_dicom(root / "sub" / "d_rle.dcm", img, "rle")
    expected["d_rle.dcm"] = "ok"
    write_dicom(root / "e_ct.dcm", img, "explicit", modality="CT")
    expected["e_ct.dcm"] = "skipped"
    (root / "f_empty.dcm").write_bytes(b"")
    expected["f_empty.dcm"] = "error"
    (root / "g_notes.txt").write_text("=cmd|' /C calc'!A0 not an image\n")
    expected["g_notes.txt"] = "error"
    data = (root / "a_dark.png").read_bytes()
    (root / "h_truncated.png").write_bytes(data[: len(data) // 2])
    expected["h_truncated.png"] = "error"
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "DICOMDIR").write_bytes(b"\0" * 132)
    return expected


@pytest.fixture
def mixed_folder(tmp_path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "study"
    return root, make_mixed_folder(root)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    """Site profiles and verdicts go to fresh folders per test, never to the user's own."""
    monkeypatch.setenv("PNEUMOSCAN_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("PNEUMOSCAN_DATA_DIR", str(tmp_path_factory.mktemp("data")))
