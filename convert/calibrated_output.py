"""Adds a ``probability`` output (sigmoid(logit / T + b)) to a shipped ONNX model.

With the calibration inside the model file, every consumer of the file gets the
same probability the manifest's thresholds were chosen on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def add_probability_output(path: Path, temperature: float, bias: float) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    g = model.graph
    g.initializer.extend(
        [
            numpy_helper.from_array(np.array(1.0 / temperature, np.float32), "calib_inv_temperature"),
            numpy_helper.from_array(np.array(bias, np.float32), "calib_bias"),
        ]
    )
    g.node.extend(
        [
            helper.make_node("Mul", ["logit", "calib_inv_temperature"], ["calib_scaled"], name="calib_scale"),
            helper.make_node("Add", ["calib_scaled", "calib_bias"], ["calib_shifted"], name="calib_shift"),
            helper.make_node("Sigmoid", ["calib_shifted"], ["probability"], name="calib_sigmoid"),
        ]
    )
    g.output.insert(0, helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N", 1]))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
