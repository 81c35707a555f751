"""Throughput of an ONNX model in ONNX Runtime (no TensorFlow needed)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from training.onnx_session import session


def images_per_second(path: Path, batch: int, threads: int, seconds: float = 3.0, size: int = 224) -> float:
    sess = session(path, threads)
    x = np.random.default_rng(0).uniform(-1, 1, (batch, size, size, 1)).astype(np.float32)
    name = sess.get_inputs()[0].name
    for _ in range(3):
        sess.run(None, {name: x})
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sess.run(None, {name: x})
        n += batch
    return n / (time.perf_counter() - start)


def compare(fp32: Path, int8: Path, batch: int, threads: int, seconds: float = 3.0, rounds: int = 2) -> dict:
    """Interleave FP32 and INT8 runs so machine noise hits both alike."""
    a, b = [], []
    for _ in range(rounds):
        a.append(images_per_second(fp32, batch, threads, seconds))
        b.append(images_per_second(int8, batch, threads, seconds))
    fp, iq = max(a), max(b)
    return {"batch": batch, "threads": threads, "fp32_ips": fp, "int8_ips": iq, "speedup": iq / fp}
