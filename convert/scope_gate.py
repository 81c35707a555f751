"""``python -m convert.scope_gate runs/scope-<time>``: ship the scope gate beside the model.

1. the learned gate: Keras -> ONNX (pooling in front, softmax at the end),
   checked against Keras; INT8 (QDQ, calibrated on training films) is shipped
   only if it is faster and keeps its decisions;
2. its threshold, on validation films only: the in-scope probability below
   which at most ``--reject`` of clean validation films fall;
3. the distance backstop: mean and shrunk (Ledoit-Wolf) inverse covariance of
   the shipped model's pooled features on training films; threshold at the
   ``1 - reject`` quantile of validation distances;
4. ``assets/scope_gate.json`` pins both files by SHA-256 and names the main
   model the statistics belong to; ``model.json`` points at it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

import numpy as np

from convert.distance_check import fit_distance_check, validation_counts
from convert.speed import compare
from pneumoscan.model.manifest import sha256_file
from pneumoscan.scope.classes import GATE_CLASSES
from training.model_inputs import shifted_tensors, tensors
from training.onnx_session import run_onnx
from training.scope_batch import rule_text, rule_threshold


def export_gate_onnx(keras_path: Path, out_path: Path, opset: int = 17):
    import keras
    import onnx
    import tensorflow as tf
    import tf2onnx

    from training.scope_model import export_gate

    exported = export_gate(keras.models.load_model(keras_path))
    spec = (tf.TensorSpec((None, 224, 224, 1), tf.float32, name="image"),)
    model, _ = tf2onnx.convert.from_keras(exported, input_signature=spec, opset=opset)
    graph = model.graph
    old = graph.output[0].name
    for node in graph.node:
        node.output[:] = ["scope_probs" if n == old else n for n in node.output]
    graph.output[0].name = "scope_probs"
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))
    return exported


def input_description(exported) -> str:
    """What the gate reads, from the exported network itself (a constant here once said 4x4 for 2x2 gates)."""
    factor = exported.get_layer("gate_pool").pool_size[0]
    return (
        f"the main model's input (224x224x1, histogram-equalised), averaged over {factor}x{factor} "
        "cells inside the model"
    )


def convert_gate(
    run_dir: Path,
    assets: Path,
    reject: float,
    calib: int,
    smoke: bool = False,
    shifted_reject: float = 0.005,
    gate_reject: float | None = None,
) -> dict:
    """``gate_reject``: the learned gate's share of clean validation films (default ``reject``, which
    the distance check keeps): a gate trained with other hospitals' adults puts a few films of
    its own hospital near 0, so the 0.2% quantile would sit near 0 and refuse almost nothing."""
    gate_reject = reject if gate_reject is None else gate_reject
    from training import split

    cfg_file = run_dir / "config.json"  # written when the folds are done; the data path is all we need
    cfg = (
        json.loads(cfg_file.read_text()) if cfg_file.exists() else {"data": "../shared/data/chest_xray/train"}
    )
    items = split.list_images(Path(cfg["data"]))
    train, val = split.split_items(items, split.load_split())
    if smoke:
        train, val = train[:: max(1, len(train) // 40)], val[:: max(1, len(val) // 40)]
    rng = random.Random(0)
    x_val = tensors([p for p, _ in val])
    x_shift = shifted_tensors(val)

    fp32, int8 = run_dir / "gate_fp32.onnx", run_dir / "gate_int8.onnx"
    exported = export_gate_onnx(run_dir / "gate.keras", fp32)
    n = min(64, len(x_val))
    keras_probs = np.asarray(exported(x_val[:n], training=False))
    fp32_diff = float(np.abs(run_onnx(fp32, x_val[:n]) - keras_probs).max())
    print(f"gate FP32 ONNX vs Keras max |diff| on {n} films: {fp32_diff:.2e}", flush=True)

    from convert.quantize import quantize

    cal = tensors([p for p, _ in rng.sample(train, min(calib, len(train)))])
    quantize(fp32, int8, cal)
    p32, p8 = run_onnx(fp32, x_val)[:, 0], run_onnx(int8, x_val)[:, 0]
    speed = compare(fp32, int8, batch=16, threads=2, seconds=0.5 if smoke else 2.0)
    print(f"gate INT8 speed-up {speed['speedup']:.2f}x at batch 16, 2 threads", flush=True)
    t32 = float(np.quantile(p32, gate_reject))
    agree = float(((p32 >= t32) == (p8 >= t32)).mean())
    ship_int8 = speed["speedup"] >= 1.2 and agree >= 0.995
    shipped = int8 if ship_int8 else fp32
    p_val = p8 if ship_int8 else p32
    p_shift = run_onnx(shipped, x_shift)[:, 0]
    threshold = rule_threshold(p_val, p_shift, (gate_reject, shifted_reject))

    x_train = tensors([p for p, _ in train])
    distance, d_val, d_shift = fit_distance_check(assets, x_train, x_val, x_shift, reject, shifted_reject)
    manifest = assets / "model.json"
    main = json.loads(manifest.read_text())
    shutil.copyfile(shipped, assets / "scope_gate.onnx")
    config = {
        "version": f"gate-{run_dir.name.removeprefix('scope-')}",
        "classifier": {
            "model_file": "scope_gate.onnx",
            "sha256": sha256_file(assets / "scope_gate.onnx"),
            "precision": "int8" if ship_int8 else "fp32",
            "classes": list(GATE_CLASSES),
            "input": input_description(exported),
            "threshold": threshold,
            "threshold_rule": rule_text((gate_reject, shifted_reject)),
            "fp32_vs_keras_max_abs_diff": fp32_diff,
            "int8_speedup_batch16_2threads": speed["speedup"],
            "int8_decisions_unchanged": agree,
        },
        "distance": distance,
        "validation": validation_counts(p_val, p_shift, threshold, d_val, d_shift, distance["threshold"]),
    }
    (assets / "scope_gate.json").write_text(json.dumps(config, indent=2) + "\n")
    main["scope_gate"] = "scope_gate.json"
    manifest.write_text(json.dumps(main, indent=2) + "\n")
    from convert.pin import pin

    pin(assets)  # the decision digest inside model.onnx now covers the gate's thresholds
    print(json.dumps(config["validation"]), flush=True)
    return config


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="Export, quantize and ship the scope gate to assets/.")
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument(
        "--reject", type=float, default=0.002, help="share of validation films each check may refuse"
    )
    ap.add_argument(
        "--shifted-reject", type=float, default=0.005, help="the same on the shifted validation copy"
    )
    ap.add_argument(
        "--gate-reject",
        type=float,
        default=None,
        help="the learned gate's share of validation (default --reject)",
    )
    ap.add_argument("--calib", type=int, default=300)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    convert_gate(
        args.run_dir, args.assets, args.reject, args.calib, args.smoke, args.shifted_reject, args.gate_reject
    )


if __name__ == "__main__":
    main()
