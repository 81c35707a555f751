"""convert.quantize: the dense head's logit leaves the INT8 model as FP32, not on a 256-level grid."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from convert.quantize import quantize


def _graph() -> onnx.ModelProto:
    """image -> conv -> global pool -> flatten -> Gemm (one logit): the shape of the shipped head."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.normal(size=(8, 1, 3, 3)).astype(np.float32), "wc"),
        numpy_helper.from_array(rng.normal(size=(8, 1)).astype(np.float32), "wd"),
        numpy_helper.from_array(np.zeros(1, np.float32), "bd"),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "wc"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["c"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["features"], name="flatten"),
        helper.make_node("Gemm", ["features", "wd", "bd"], ["logit"], name="logit"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 16, 16])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1])],
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(("float_heads", "producer"), [(True, "Gemm"), (False, "DequantizeLinear")])
def test_the_logit_is_written_by_the_head_itself(tmp_path, float_heads, producer):
    onnx.save(_graph(), tmp_path / "fp32.onnx")
    rng = np.random.default_rng(1)
    calibration = rng.uniform(-1, 1, (16, 1, 16, 16)).astype(np.float32)
    settings = quantize(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration, float_heads=float_heads)
    model = onnx.load(str(tmp_path / "int8.onnx"))
    made_by = {o: n for n in model.graph.node for o in n.output}
    assert made_by["logit"].op_type == producer
    # the head's weights are INT8 either way
    assert made_by["wd_DequantizeLinear_Output"].op_type == "DequantizeLinear"
    assert settings["float_outputs"] == (["Gemm"] if float_heads else [])


def test_float_heads_give_more_distinct_logits(tmp_path):
    """Many films, few grid points: the INT8 logit ties films that the FP32 head keeps apart."""
    onnx.save(_graph(), tmp_path / "fp32.onnx")
    rng = np.random.default_rng(1)
    calibration = rng.uniform(-1, 1, (16, 1, 16, 16)).astype(np.float32)
    films = rng.uniform(-1, 1, (2000, 1, 16, 16)).astype(np.float32)
    distinct = {}
    for float_heads in (True, False):
        out = tmp_path / f"int8_{float_heads}.onnx"
        quantize(tmp_path / "fp32.onnx", out, calibration, float_heads=float_heads)
        logit = ort.InferenceSession(str(out)).run(["logit"], {"image": films})[0]
        distinct[float_heads] = len(np.unique(logit))
    assert distinct[False] <= 256
    assert distinct[True] > 4 * distinct[False]
