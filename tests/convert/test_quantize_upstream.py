"""convert.quantize: a layer and all it reads kept FP32 (``fp32_upstream_of``), or name scopes
alone (``fp32_named``), the rest INT8."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from convert.quantize import fp32_weight_bytes, quantize, upstream


def _graph(width: int = 1) -> onnx.ModelProto:
    """image -> seg conv (``width`` channels) -> lung_mask Mul (with the image) -> stem conv -> out;
    an Add beside."""
    rng = np.random.default_rng(0)
    w = [
        numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), f"w{i}")
        for i, shape in enumerate([(width, 1, 3, 3), (1, width, 3, 3)])
    ]
    nodes = [
        helper.make_node("Conv", ["image", "w0"], ["seg"], name="model/lung_unet_1/conv", pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["image", "seg"], ["masked"], name="model/lung_mask_1/mul"),
        helper.make_node("Conv", ["masked", "w1"], ["stem"], name="model/stem_1/conv", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["stem", "image"], ["out"], name="model/head_1/add"),
    ]
    shape = [1, 1, 16, 16]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, shape)],
        initializer=w,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(
    ("layer", "want"), [("lung_mask", ["model/lung_unet_1/conv", "model/lung_mask_1/mul"]), ("absent", [])]
)
def test_upstream_is_the_layer_and_what_it_reads(layer, want):
    assert upstream(_graph().graph, layer) == want


def _quantized_weights(model: onnx.ModelProto) -> set[str]:
    """The Conv nodes whose weights come through a DequantizeLinear."""
    made_by = {o: n for n in model.graph.node for o in n.output}
    return {
        n.name
        for n in model.graph.node
        if n.op_type == "Conv" and n.input[1] in made_by and made_by[n.input[1]].op_type == "DequantizeLinear"
    }


@pytest.mark.parametrize(
    ("keep", "int8"),
    [("", {"model/lung_unet_1/conv", "model/stem_1/conv"}), ("lung_mask", {"model/stem_1/conv"})],
)
def test_the_kept_layer_stays_fp32_and_the_rest_is_int8(tmp_path, keep, int8):
    onnx.save(_graph(), tmp_path / "fp32.onnx")
    calibration = np.random.default_rng(1).uniform(-1, 1, (8, 1, 16, 16)).astype(np.float32)
    settings = quantize(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration, fp32_upstream_of=keep)
    assert _quantized_weights(onnx.load(str(tmp_path / "int8.onnx"))) == int8
    assert settings["excluded_nodes"] == (upstream(_graph().graph, keep) if keep else [])


@pytest.mark.parametrize(
    ("scopes", "int8"),
    [(("lung_unet_1",), {"model/stem_1/conv"}), (("stem_1", "absent"), {"model/lung_unet_1/conv"})],
)
def test_named_scopes_alone_stay_fp32(tmp_path, scopes, int8):
    """Unlike ``fp32_upstream_of``, what the named nodes read stays INT8 (the segmenter's conv,
    upstream of the stem, is quantized when the stem is kept)."""
    onnx.save(_graph(), tmp_path / "fp32.onnx")
    calibration = np.random.default_rng(1).uniform(-1, 1, (8, 1, 16, 16)).astype(np.float32)
    settings = quantize(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration, fp32_named=scopes)
    assert _quantized_weights(onnx.load(str(tmp_path / "int8.onnx"))) == int8
    assert settings["excluded_nodes"] == sorted(int8 ^ {"model/lung_unet_1/conv", "model/stem_1/conv"})


@pytest.mark.parametrize(("keep", "fp32_bytes"), [("", 0), ("lung_mask", 8 * 9 * 4)])
def test_the_weights_kept_fp32_are_counted_for_the_size_check(tmp_path, keep, fp32_bytes):
    """convert's size rule counts what was kept FP32 on purpose at full size: here the segmenter's
    72 weights (a Conv of 8 channels, 3x3) when the mask is kept, none when all is INT8."""
    onnx.save(_graph(width=8), tmp_path / "fp32.onnx")
    calibration = np.random.default_rng(1).uniform(-1, 1, (8, 1, 16, 16)).astype(np.float32)
    quantize(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration, fp32_upstream_of=keep)
    assert fp32_weight_bytes(tmp_path / "int8.onnx") == fp32_bytes
