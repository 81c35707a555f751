"""Adds a ``probability`` output (sigmoid(logit / T + b)) to a shipped ONNX model.

With the calibration inside the model file, every consumer of the file gets the
same probability the manifest's thresholds were chosen on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _append_sigmoid(g, source: str, target: str, temperature: float, bias: float, prefix: str) -> None:
    from onnx import helper, numpy_helper

    g.initializer.extend(
        [
            numpy_helper.from_array(np.array(1.0 / temperature, np.float32), f"{prefix}_inv_temperature"),
            numpy_helper.from_array(np.array(bias, np.float32), f"{prefix}_bias"),
        ]
    )
    g.node.extend(
        [
            helper.make_node(
                "Mul", [source, f"{prefix}_inv_temperature"], [f"{prefix}_scaled"], name=f"{prefix}_scale"
            ),
            helper.make_node(
                "Add", [f"{prefix}_scaled", f"{prefix}_bias"], [f"{prefix}_shifted"], name=f"{prefix}_shift"
            ),
            helper.make_node("Sigmoid", [f"{prefix}_shifted"], [target], name=f"{prefix}_sigmoid"),
        ]
    )


def add_probability_output(
    path: Path, temperature: float, bias: float, subtype: tuple[float, float] | None = None
) -> None:
    """``probability`` from ``logit``; with ``subtype`` (T, b), ``viral_probability`` from ``subtype_logit``."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(path))
    g = model.graph
    _append_sigmoid(g, "logit", "probability", temperature, bias, "calib")
    g.output.insert(0, helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N", 1]))
    if subtype is not None:
        _append_sigmoid(g, "subtype_logit", "viral_probability", subtype[0], subtype[1], "subtype_calib")
        g.output.append(helper.make_tensor_value_info("viral_probability", TensorProto.FLOAT, ["N", 1]))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
