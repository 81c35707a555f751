"""Shared fixtures: a tiny ONNX model with a real manifest, a mixed folder of files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pneumoscan.model.manifest import sha256_file
from tests.dicom_factory import gradient, write_dicom

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"


def data_dir() -> Path:
    """The shared data set, or skip with the reason when it is absent."""
    if not (DATA / "chest_xray" / "train").is_dir():
        pytest.skip(f"shared data set not found at {DATA} (tests that need real X-rays are skipped)")
    return DATA


def build_tiny_onnx(path: Path, size: int = 224) -> None:
    """NHWC image -> logit (mean of the top-left 3x3 cells of a 7x7 pooled map, x4) and that map."""
    import onnx
    from onnx import TensorProto, helper

    cell = size // 7
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node(
            "AveragePool", ["nchw"], ["pooled"], kernel_shape=[cell, cell], strides=[cell, cell]
        ),
        helper.make_node("Transpose", ["pooled"], ["cam"], perm=[0, 2, 3, 1]),
        helper.make_node("Slice", ["cam", "starts", "ends", "axes"], ["corner"]),
        helper.make_node("ReduceMean", ["corner", "rm_axes"], ["corner_mean"], keepdims=0),
        helper.make_node("Mul", ["corner_mean", "gain"], ["logit_flat"]),
        helper.make_node("Unsqueeze", ["logit_flat", "unsq_axes"], ["logit"]),
    ]
    inits = [
        helper.make_tensor("starts", TensorProto.INT64, [2], [0, 0]),
        helper.make_tensor("ends", TensorProto.INT64, [2], [3, 3]),
        helper.make_tensor("axes", TensorProto.INT64, [2], [1, 2]),
        helper.make_tensor("rm_axes", TensorProto.INT64, [3], [1, 2, 3]),
        helper.make_tensor("gain", TensorProto.FLOAT, [], [4.0]),
        helper.make_tensor("unsq_axes", TensorProto.INT64, [1], [1]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", size, size, 1])],
        [
            helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("cam", TensorProto.FLOAT, ["N", 7, 7, 1]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def write_manifest(directory: Path, model_name: str = "model.onnx") -> Path:
    manifest = {
        "version": "test-0",
        "model_file": model_name,
        "sha256": sha256_file(directory / model_name),
        "input": {"height": 224, "width": 224, "layout": "NHWC", "normalization": "histeq"},
        "outputs": {"logit": "logit", "cam": "cam"},
        "class_names": ["NORMAL", "PNEUMONIA"],
        "thresholds": {"high_sensitivity": 0.3, "balanced": 0.6},
        "default_operating_point": "high_sensitivity",
        "temperature": 1.0,
        "intended_use": "test model",
        "metrics": {},
    }
    path = directory / "model.json"
    path.write_text(json.dumps(manifest))
    return path


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
    """Site profiles go to a fresh folder per test, never to the user's configuration."""
    monkeypatch.setenv("PNEUMOSCAN_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
