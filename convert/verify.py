"""Checks that each conversion step kept the model's answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training import metrics as M


def onnx_logits(path: Path, tensors: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    from training.onnx_session import session

    sess = session(path, 2)
    logits, cams = [], []
    for i in range(0, len(tensors), batch):
        logit, cam = sess.run(["logit", "cam"], {"image": tensors[i : i + batch]})
        logits.append(logit[:, 0])
        cams.append(cam)
    return np.concatenate(logits), np.concatenate(cams)


def onnx_outputs(path: Path, tensors: np.ndarray, batch: int = 32) -> dict[str, np.ndarray]:
    """Every output the export names (logit, cam, features, subtype_logit), over all tensors."""
    from convert.export import OUTPUT_NAMES
    from training.onnx_session import session

    sess = session(path, 2)
    have = [o.name for o in sess.get_outputs()]
    names = [n for n in OUTPUT_NAMES if n in have]
    parts: dict[str, list] = {n: [] for n in names}
    for i in range(0, len(tensors), batch):
        for n, v in zip(names, sess.run(names, {"image": tensors[i : i + batch]})):
            parts[n].append(v)
    return {n: np.concatenate(v) for n, v in parts.items()}


def output_parity(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict:
    """How INT8 moved each output: max |diff|, and for maps and features the mean correlation."""
    out = {}
    for name in a:
        x, y = a[name].reshape(len(a[name]), -1), b[name].reshape(len(b[name]), -1)
        entry = {"max_abs_diff": float(np.abs(x - y).max())}
        if x.shape[1] > 1:
            xc, yc = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
            denom = np.sqrt((xc**2).sum(1) * (yc**2).sum(1)) + 1e-12
            entry["mean_correlation"] = float(((xc * yc).sum(1) / denom).mean())
        out[name] = entry
    return out


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
