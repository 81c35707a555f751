"""Checks that each conversion step kept the model's answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training import metrics as M


def onnx_logits(path: Path, tensors: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    from .speed import session

    sess = session(path, 2)
    logits, cams = [], []
    for i in range(0, len(tensors), batch):
        logit, cam = sess.run(["logit", "cam"], {"image": tensors[i : i + batch]})
        logits.append(logit[:, 0])
        cams.append(cam)
    return np.concatenate(logits), np.concatenate(cams)


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(max(np.abs(x - y).max() for x, y in zip(a, b)))


def int8_agreement(y, z_fp32, z_int8, temperature: float, bias: float, thresholds: dict[str, float]) -> dict:
    p32, p8 = M.calibrate(z_fp32, temperature, bias), M.calibrate(z_int8, temperature, bias)
    return {
        "auc_fp32": M.roc_auc(y, p32),
        "auc_int8": M.roc_auc(y, p8),
        "auc_difference": abs(M.roc_auc(y, p32) - M.roc_auc(y, p8)),
        "decisions_unchanged": {k: float(((p32 >= t) == (p8 >= t)).mean()) for k, t in thresholds.items()},
        "max_prob_difference": float(np.abs(p32 - p8).max()),
    }
