"""A tiny ONNX model with a real manifest: the Screener end to end without the shipped network."""

from __future__ import annotations

import json
from pathlib import Path

from pneumoscan.model.manifest import sha256_file


def build_tiny_onnx(path: Path, size: int = 224, cam_box: tuple[float, ...] | None = None) -> None:
    """NHWC image -> logit (mean of the top-left 3x3 cells of a 7x7 pooled map, x4) and that map;
    with ``cam_box``, that box (top, bottom, left, right) for every film, as a cropping model says
    where its map lies."""
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
        helper.make_node("Flatten", ["pooled"], ["features"], axis=1),  # 49 "pooled features"
    ]
    inits = [
        helper.make_tensor("starts", TensorProto.INT64, [2], [0, 0]),
        helper.make_tensor("ends", TensorProto.INT64, [2], [3, 3]),
        helper.make_tensor("axes", TensorProto.INT64, [2], [1, 2]),
        helper.make_tensor("rm_axes", TensorProto.INT64, [3], [1, 2, 3]),
        helper.make_tensor("gain", TensorProto.FLOAT, [], [4.0]),
        helper.make_tensor("unsq_axes", TensorProto.INT64, [1], [1]),
    ]
    outputs = [
        helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1]),
        helper.make_tensor_value_info("cam", TensorProto.FLOAT, ["N", 7, 7, 1]),
        helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 49]),
    ]
    if cam_box is not None:  # features[:, :4] * 0 + the box: one row a film
        nodes += [
            helper.make_node("Slice", ["features", "box_starts", "box_ends", "box_axes"], ["four"]),
            helper.make_node("Mul", ["four", "zero"], ["zeros"]),
            helper.make_node("Add", ["zeros", "box"], ["cam_box"]),
        ]
        inits += [
            helper.make_tensor("box_starts", TensorProto.INT64, [1], [0]),
            helper.make_tensor("box_ends", TensorProto.INT64, [1], [4]),
            helper.make_tensor("box_axes", TensorProto.INT64, [1], [1]),
            helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
            helper.make_tensor("box", TensorProto.FLOAT, [1, 4], list(cam_box)),
        ]
        outputs.append(helper.make_tensor_value_info("cam_box", TensorProto.FLOAT, ["N", 4]))
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", size, size, 1])],
        outputs,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def write_manifest(directory: Path, model_name: str = "model.onnx", cam_box: bool = False) -> Path:
    manifest = {
        "version": "test-0",
        "model_file": model_name,
        "sha256": sha256_file(directory / model_name),
        "input": {"height": 224, "width": 224, "layout": "NHWC", "normalization": "histeq"},
        "outputs": {"logit": "logit", "cam": "cam", "features": "features"},
        "class_names": ["NORMAL", "PNEUMONIA"],
        "thresholds": {"high_sensitivity": 0.3, "balanced": 0.6},
        "default_operating_point": "high_sensitivity",
        "temperature": 1.0,
        "intended_use": "test model",
        "metrics": {},
    }
    if cam_box:
        manifest["outputs"]["cam_box"] = "cam_box"
    path = directory / "model.json"
    path.write_text(json.dumps(manifest))
    return path
