"""``python -m convert RUN_DIR``: export, verify, quantize, verify, time, and ship to assets/.

INT8 is shipped only when it keeps the validation answers (AUC within 0.005,
99% of decisions unchanged at each threshold) and earns its place (at least
1.5x FP32 throughput at batch 16 on 2 threads, at most a third of the size).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

import numpy as np

from convert import verify
from convert.calibrated_output import add_probability_output
from convert.card import write_card
from convert.export import export_onnx, keras_outputs
from convert.manifest_writer import build_manifest
from convert.quantize import LUNG_MASK_FP32, fp32_weight_bytes, preprocess_files, quantize
from convert.speed import compare
from training import metrics as M


def work_dir_for(run_dirs: list[Path]) -> Path:
    """One run converts in its own folder; an ensemble gets runs/ensemble-<members>/."""
    if len(run_dirs) == 1:
        return run_dirs[0]
    d = run_dirs[0].parent / ("ensemble-" + "+".join(r.name for r in run_dirs))
    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dirs[0] / "config.json", d / "config.json")
    (d / "members.txt").write_text("".join(f"{r}\n" for r in run_dirs))
    return d


def refuse_experiment(cfg, run: Path) -> None:
    """A run trained on films cropped or masked to the lungs cannot ship: the core's preprocessing
    neither crops nor masks, so the shipped model would read films unlike its training."""
    if cfg.lung_crop or cfg.lung_mask:
        raise SystemExit(
            f"{run}: trained on films {'cropped' if cfg.lung_crop else 'masked'} to the lungs "
            "(an experiment); the app's preprocessing does neither, so it cannot be converted"
        )


def convert(run_dirs: list[Path] | Path, out_dir: Path, calib: int = 300, smoke: bool = False) -> dict:
    from training import dataset, split
    from training.evaluate import choose
    from training.train import hospital_films, load_config

    run_dirs = [run_dirs] if isinstance(run_dirs, Path) else list(run_dirs)
    for r in run_dirs:
        refuse_experiment(load_config(r), r)
    run_dir = work_dir_for(run_dirs)
    cfg = load_config(run_dirs[0])  # members share data, split, seed and limit
    fp32, int8 = run_dir / "model_fp32.onnx", run_dir / "model_int8.onnx"
    exported = export_onnx([r / "best.keras" for r in run_dirs], fp32)

    items = split.list_images(Path(cfg.data))
    train_items, val_items = split.split_items(items, split.load_split())
    if cfg.limit:
        from training.train import _subset

        train_items, val_items = (
            _subset(train_items, cfg.limit, cfg.seed),
            _subset(val_items, cfg.limit, cfg.seed),
        )
    from pneumoscan.model.preprocess import InputSpec

    xva, yva = dataset.load_arrays(val_items, InputSpec())
    clean = dataset.model_tensors(xva)
    shifted = dataset.model_tensors(dataset.shifted_copy(xva, cfg.seed))

    # 1. FP32 ONNX vs Keras on 64 validation images
    n = min(64, len(clean))
    k_out = keras_outputs(exported, clean[:n])
    o_first = verify.onnx_outputs(fp32, clean[:n])
    fp32_diff = verify.max_abs_diff(list(o_first.values()), k_out[: len(o_first)])
    print(f"FP32 ONNX vs Keras max |diff| on {n} images: {fp32_diff:.2e}", flush=True)

    # 2. INT8, calibrated on training images through the serving path
    rng = random.Random(cfg.seed)
    cal_files = [p for p, _ in rng.sample(train_items, min(calib, len(train_items)))]
    kept = LUNG_MASK_FP32 if getattr(cfg, "lung_graph", "") else {}  # the mask FP32, the rest INT8
    qinfo = quantize(fp32, int8, preprocess_files(cal_files), **kept)

    # 3. both models on the whole validation split (clean and shifted), every output
    o32, o8 = verify.onnx_outputs(fp32, clean), verify.onnx_outputs(int8, clean)
    o32s, o8s = verify.onnx_outputs(fp32, shifted), verify.onnx_outputs(int8, shifted)
    z32, z8, z32s, z8s = (o["logit"][:, 0] for o in (o32, o8, o32s, o8s))
    paths = [str(p) for p, _ in val_items]
    chosen32 = choose({"paths": paths, "y": yva, "logit": z32, "logit_shifted": z32s})
    chosen8 = choose({"paths": paths, "y": yva, "logit": z8, "logit_shifted": z8s})
    agree = verify.int8_agreement(
        yva, z32, z8, chosen32["temperature"], chosen32["bias"], chosen32["thresholds"]
    )
    agree["outputs"] = verify.output_parity(o32, o8)
    subtype32 = subtype8 = None
    if "subtype_logit" in o32:
        from training.split import subtype_label
        from training.subtype import choose_subtype

        sub = np.array([subtype_label(p.name) for p, _ in val_items])
        if (~np.isnan(sub)).sum() >= 10:
            subtype32 = choose_subtype(paths, sub, o32["subtype_logit"][:, 0], o32s["subtype_logit"][:, 0])
            subtype8 = choose_subtype(paths, sub, o8["subtype_logit"][:, 0], o8s["subtype_logit"][:, 0])
            known = ~np.isnan(sub)
            p32 = M.calibrate(o32["subtype_logit"][known, 0], subtype32["temperature"], subtype32["bias"])
            p8 = M.calibrate(o8["subtype_logit"][known, 0], subtype32["temperature"], subtype32["bias"])
            t = subtype32["threshold"]
            agree["subtype"] = {
                "auc_fp32": subtype32["auc"],
                "auc_int8": subtype8["auc"],
                "decisions_unchanged": float(((p32 >= t) == (p8 >= t)).mean()),
            }
    print(f"INT8 vs FP32: {json.dumps(agree)}", flush=True)

    # 4. speed and size
    speed = compare(fp32, int8, batch=16, threads=2, seconds=1.0 if smoke else 3.0)
    size_ratio = int8.stat().st_size / fp32.stat().st_size
    kept_share = fp32_weight_bytes(int8) / fp32.stat().st_size  # weights kept FP32 on purpose
    print(
        f"INT8 speed-up {speed['speedup']:.2f}x at batch 16, 2 threads; size ratio {size_ratio:.2f}",
        flush=True,
    )
    checks = {
        "fp32_vs_keras_max_abs_diff": fp32_diff,
        "fp32_vs_keras_ok": fp32_diff < 1e-4,
        "int8_auc_ok": agree["auc_difference"] <= 0.005,
        "int8_decisions_ok": min(agree["decisions_unchanged"].values()) >= 0.99,
        "int8_speed_ok": speed["speedup"] >= 1.5,
        "int8_fp32_kept_share": kept_share,
        # the quantized weights at most a third of their FP32 size; weights kept FP32 count whole
        "int8_size_ok": size_ratio <= kept_share + (1 - kept_share) / 3,
    }
    ship_int8 = all(checks[k] for k in ("int8_auc_ok", "int8_decisions_ok", "int8_speed_ok", "int8_size_ok"))
    shipped = "int8" if ship_int8 else "fp32"
    print(f"shipping {shipped}", flush=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(int8 if ship_int8 else fp32, out_dir / "model.onnx")
    shipped_cal = chosen8 if ship_int8 else chosen32
    (run_dir / "evaluation_shipped.json").write_text(json.dumps(shipped_cal, indent=2))
    shipped_sub = subtype8 if ship_int8 else subtype32
    if shipped_sub is not None:
        (run_dir / "subtype_shipped.json").write_text(json.dumps(shipped_sub, indent=2))
    add_probability_output(
        out_dir / "model.onnx",
        shipped_cal["temperature"],
        shipped_cal["bias"],
        (shipped_sub["temperature"], shipped_sub["bias"]) if shipped_sub else None,
    )
    manifest = build_manifest(
        out_dir=out_dir,
        run_dir=run_dir,
        run_dirs=run_dirs,
        cfg=cfg,
        shipped=shipped,
        chosen=chosen8 if ship_int8 else chosen32,
        other=chosen32 if ship_int8 else chosen8,
        agreement=agree,
        checks=checks,
        quantization=qinfo,
        speed=speed,
        size_ratio=size_ratio,
        n_train=len(train_items),
        n_other=len(hospital_films(cfg)["train"]),
        subtype=shipped_sub,
        cam_box="cam_box" in o32,
    )
    from convert.pin import pin

    pin(out_dir)  # thresholds and calibration are now pinned inside model.onnx
    manifest = json.loads((out_dir / "model.json").read_text())
    from convert.operating_point import unseen_check

    check = unseen_check(out_dir, Path(cfg.data).resolve().parents[1])
    if check:  # not a decision field: the pin stays valid
        manifest["operating_point_check"] = check
        (out_dir / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    write_card(out_dir / "MODEL_CARD.md", manifest)
    return manifest


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(
        description="Export, quantize and verify a training run (or the average of several); ship it to assets/."
    )
    ap.add_argument("run_dirs", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, default=Path("assets"))
    ap.add_argument("--calib", type=int, default=300)
    ap.add_argument("--smoke", action="store_true", help="short timings (CI smoke run)")
    args = ap.parse_args(argv)
    convert(args.run_dirs, args.out, args.calib, args.smoke)


if __name__ == "__main__":
    main()
