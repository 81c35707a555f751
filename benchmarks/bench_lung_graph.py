"""What the in-graph lung mask costs per film (prints figures; not a test).

    python -m benchmarks.bench_lung_graph runs/graph/lungs-<time>/segmenter.keras [--run RUN]
        [--variants "plain; masked, lungs cropped"]

``training.lung_graph`` puts a 32x32 segmenter and its morphology inside the classifier's graph;
issue 18 allows the model time 20% more than today's. This builds the classifier without and
with the mask (``VARIANTS``: each intensity, cropped or not, the conv or the patch stem; random
weights), and ``--run``: a trained run's checkpoint (the cost of a graph does not depend on its
weights), exports each with the convert path (tf2onnx, then INT8 calibrated on N Guangzhou
training films; the masked ones again with parts kept FP32, ``KEPT_FP32``: the mask and its
segmenter, the segmenter alone, or the mask's small tensors alone, ``training.lung_graph.SMALL``),
compares the masked models' INT8 logits with their FP32 ones on N other films, and times them
interleaved in one process with the shipped INT8 model, so machine noise hits them alike.
Needs the ``train`` extra (TensorFlow for the export).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from convert.quantize import LUNG_MASK_FP32
from convert.speed import images_per_second
from training.lung_graph import SMALL

BATCH, THREADS = 16, 2


KEPT_FP32 = {  # convert.quantize's arguments: a layer and all it reads, or name scopes alone, kept FP32
    "mask FP32": LUNG_MASK_FP32,  # as convert quantizes a masked run
    "segmenter FP32": {"fp32_upstream_of": "lung_unet"},
    "small tensors FP32": {"fp32_named": SMALL},
}
VARIANTS = {  # name: build_model's arguments (the segmenter added where "masked")
    "plain": {},
    "plain, patch stem": {"stem": "patch"},
    "masked, film": {"lung_intensity": "film"},
    "masked, lungs": {"lung_intensity": "lungs"},
    "masked, equalised": {"lung_intensity": "equalised"},
    "masked, lungs cropped": {"lung_intensity": "lungs", "lung_crop": True},
    "masked, equalised cropped": {"lung_intensity": "equalised", "lung_crop": True},
    "masked, lungs cropped, patch stem": {"lung_intensity": "lungs", "lung_crop": True, "stem": "patch"},
    "masked, equalised cropped, patch stem": {
        "lung_intensity": "equalised",
        "lung_crop": True,
        "stem": "patch",
    },
}


def build(out: Path, segmenter: Path, run: Path | None, names: list[str]) -> dict[str, Path]:
    """The classifiers of ``VARIANTS`` named (random weights), and the run's, as Keras files."""
    from training.model import build_model

    built = {}
    for name in names:
        built[name] = out / f"{name.replace(', ', '_').replace(' ', '_')}.keras"
        extra = {"lung_segmenter": str(segmenter)} if name.startswith("masked") else {}
        build_model(**VARIANTS[name], **extra).save(built[name])
    if run:
        built["masked, the run"] = run / "best.keras"
    return built


def main(argv: list[str] | None = None) -> None:
    import numpy as np

    from convert.export import export_onnx
    from convert.quantize import preprocess_files, quantize
    from convert.verify import onnx_logits
    from training.split import list_images

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("segmenter", type=Path, help="a training.lung_graph segmenter.keras")
    ap.add_argument("--run", type=Path, help="a trained --lung-graph run (its best.keras)")
    ap.add_argument("--model", type=Path, default=Path("assets/model.onnx"), help="the shipped INT8 model")
    ap.add_argument(
        "--calib",
        type=int,
        default=100,
        help="Guangzhou training films that calibrate INT8 (as many check it)",
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--variants",
        help=f"separated by semicolons, of: {'; '.join(VARIANTS)} (default: all; with --run, plain)",
    )
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    names = (
        [v.strip() for v in args.variants.split(";")]
        if args.variants
        else ["plain"]
        if args.run
        else list(VARIANTS)
    )
    if unknown := [n for n in names if n not in VARIANTS]:
        ap.error(f"unknown --variants {unknown}; known: {'; '.join(VARIANTS)}")
    items = list_images(args.data / "chest_xray" / "train")
    picked = [p for p, _ in items[:: max(1, len(items) // (2 * args.calib))][: 2 * args.calib]]
    films = preprocess_files(picked)
    calibration, check = films[: args.calib], films[args.calib :]  # calibrate on one half, check the other
    with tempfile.TemporaryDirectory() as tmp:
        models = {"shipped (INT8)": args.model}
        for name, keras_path in build(Path(tmp), args.segmenter, args.run, names).items():
            fp32 = Path(tmp) / f"{name.replace(', ', '_')}.onnx"
            export_onnx([keras_path], fp32)
            int8 = fp32.with_name(fp32.stem + "_int8.onnx")
            quantize(fp32, int8, calibration)
            models[f"{name} (FP32)"], models[f"{name} (INT8)"] = fp32, int8
            if name.startswith("masked"):  # again with parts kept FP32 (KEPT_FP32), the rest INT8
                for kept, how in KEPT_FP32.items():
                    mixed = fp32.with_name(f"{fp32.stem}_{kept.replace(' ', '_')}.onnx")
                    quantize(fp32, mixed, calibration, **how)
                    models[f"{name} (INT8, {kept})"] = mixed
        for name in [k[: -len(" (FP32)")] for k in models if k.startswith("masked") and k.endswith("(FP32)")]:
            a = onnx_logits(models[f"{name} (FP32)"], check)[0]
            for kind in ["INT8"] + [f"INT8, {kept}" for kept in KEPT_FP32]:
                gap = np.abs(a - onnx_logits(models[f"{name} ({kind})"], check)[0])
                print(
                    f"{name}: {kind} vs FP32 logits on {len(check)} films, "
                    f"mean |diff| {gap.mean():.3f}, max {gap.max():.3f}"
                )
        rows: dict[str, list[float]] = {k: [] for k in models}
        for _ in range(args.rounds):
            for k, path in models.items():
                rows[k].append(images_per_second(path, BATCH, THREADS))
    ms = {k: 1000 / max(v) for k, v in rows.items()}  # best round: the least disturbed
    print(f"batch {BATCH}, {THREADS} threads, best of {args.rounds} rounds of 3 s each")
    print("| model | ms per film |")
    print("| --- | --- |")
    for k, v in ms.items():
        print(f"| {k} | {v:.2f} |")
    for name in [k[: -len(" (INT8)")] for k in ms if k.endswith("(INT8)") and not k.startswith("shipped")]:
        for kind in ("FP32", "INT8"):
            if name.startswith("masked") and "plain (FP32)" in ms:
                print(f"{name} / plain, {kind}: {ms[f'{name} ({kind})'] / ms[f'plain ({kind})']:.2f}x")
        for kind in [k for k in ["INT8"] + [f"INT8, {kept}" for kept in KEPT_FP32] if f"{name} ({k})" in ms]:
            ratio = ms[f"{name} ({kind})"] / ms["shipped (INT8)"]
            print(f"{name}, {kind} / shipped INT8: {ratio:.2f}x (issue 18 allows 1.20x)")
    print(f"(calibrated on {len(calibration)} films)")


if __name__ == "__main__":
    main()
