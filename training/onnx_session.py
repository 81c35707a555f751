"""An ONNX Runtime session on the CPU for analyses and conversion (no TensorFlow needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_onnx(path: Path, x: np.ndarray, batch: int = 64) -> np.ndarray:
    """The model's first output for every row of ``x``, in batches."""
    sess = session(path, 2)
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i : i + batch]})[0] for i in range(0, len(x), batch)])
