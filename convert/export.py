"""Keras model -> FP32 ONNX with outputs ``logit``, ``cam`` (14x14), ``features``, ``subtype_logit``
(and ``cam_box``: where the map lies on the film, for a model that crops to the lungs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# cam_box: only a model that crops to the lungs (training.lung_graph) has it
OUTPUT_NAMES = ("logit", "cam", "features", "subtype_logit", "cam_box")


def export_onnx(keras_paths: list[Path], out_path: Path, size: tuple[int, int] = (224, 224), opset: int = 17):
    """Convert one model, or the average of several, with ``tf2onnx.convert.from_keras``."""
    import keras
    import onnx
    import tensorflow as tf
    import tf2onnx

    from training.model import ensemble_export

    exported = ensemble_export([keras.models.load_model(p) for p in keras_paths])
    spec = (tf.TensorSpec((None, size[0], size[1], 1), tf.float32, name="image"),)
    onnx_model, _ = tf2onnx.convert.from_keras(exported, input_signature=spec, opset=opset)
    graph = onnx_model.graph
    renames = {o.name: new for o, new in zip(graph.output, OUTPUT_NAMES)}
    for node in graph.node:
        node.output[:] = [renames.get(n, n) for n in node.output]
        node.input[:] = [renames.get(n, n) for n in node.input]
    for o in graph.output:
        o.name = renames[o.name]
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(out_path))
    return exported


def keras_outputs(exported, batch: np.ndarray) -> list[np.ndarray]:
    return [np.asarray(o) for o in exported(batch, training=False)]
