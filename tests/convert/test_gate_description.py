"""The manifest says what the gate reads, from the exported network (it once said 4x4 for 2x2 gates)."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")


@pytest.mark.parametrize(("size", "factor"), [(112, 2), (56, 4)])
def test_input_description_follows_the_exported_pooling(size, factor):
    from convert.scope_gate import input_description
    from training.scope_model import build_gate, export_gate

    text = input_description(export_gate(build_gate(size=size)))
    assert f"averaged over {factor}x{factor} cells" in text


def test_the_shipped_gates_pool_as_their_manifest_says():
    import json

    import onnx

    from pneumoscan.model.manifest import default_assets_dir

    assets = default_assets_dir()
    gate = json.loads((assets / "scope_gate.json").read_text())
    for section in ("classifier", "classifier_hospitals"):
        model = onnx.load(str(assets / gate[section]["model_file"]))
        pool = next(n for n in model.graph.node if n.op_type == "AveragePool")
        kernel = next(a.ints for a in pool.attribute if a.name == "kernel_shape")
        assert f"averaged over {kernel[0]}x{kernel[1]} cells" in gate[section]["input"]
