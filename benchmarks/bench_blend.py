"""What averaging a masked and an unmasked classifier would cost per film (prints figures; not a test).

    python -m benchmarks.bench_blend runs/masked/lungs-<time>/segmenter.keras [--model assets/model.onnx]

``training.blend_eval`` measures what the average of a masked and an unmasked model gains; a
product would run, per film, the classifier twice (the film, then its lungs), the lung segmenter
once and the mask's morphology (``training.lungs.lung_mask``). Issue 18 allows the model time 20%
more than today's. This times each part in one process, interleaved so machine noise hits them
alike: the shipped INT8 classifier, the segmenter exported to FP32 ONNX (tf2onnx, into a
temporary folder; it is not quantized, an upper bound) and the morphology on a two-lung map,
its mask made at the classifier's 224 x 224 (masking the squashed film instead of the full-size
one changed no figure in ``training.mask_order``'s clean rows).
Needs the ``train`` extra (TensorFlow for the export, SciPy for the morphology).

``--int8 N`` also quantizes the segmenter (``convert.quantize``, the classifier's settings),
calibrated on N Guangzhou training films, times it, and prints how far its lung maps move: the
Dice between the FP32 and the INT8 segmenter's lungs (probability above 0.5) on N other films.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from convert.speed import images_per_second

BATCH, THREADS = 16, 2


def export_segmenter(keras_path: Path, out: Path) -> int:
    """The segmenter as FP32 ONNX at ``out``; returns its input side."""
    import keras
    import tensorflow as tf
    import tf2onnx

    model = keras.models.load_model(keras_path, compile=False)
    size = int(model.input_shape[1])
    spec = (tf.TensorSpec((None, size, size, 1), tf.float32, name="image"),)
    onnx_model, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=17)
    out.write_bytes(onnx_model.SerializeToString())
    return size


def two_lungs(size: int) -> np.ndarray:
    """A lung probability map with two lung-shaped pieces, the smaller half the larger (mirrored)."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    right = ((xx - 0.3) / 0.14) ** 2 + ((yy - 0.5) / 0.3) ** 2 < 1
    left = ((xx - 0.7) / 0.1) ** 2 + ((yy - 0.55) / 0.2) ** 2 < 1
    return np.where(right | left, 0.95, 0.02)


def morphology_per_second(size: int, seconds: float = 3.0, film: tuple[int, int] = (224, 224)) -> float:
    from training.lungs import lung_mask

    prob = two_lungs(size)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        lung_mask(prob, film, mirror="lost")
        n += 1
    return n / (time.perf_counter() - start)


def films(data: Path, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """2n Guangzhou training films (every k-th, both classes) through the core preprocessing at
    the segmenter's side: the first n calibrate, the other n check."""
    from convert.quantize import preprocess_files
    from pneumoscan.model.preprocess import InputSpec
    from training.split import list_images

    items = list_images(data / "chest_xray" / "train")
    step = max(1, len(items) // (2 * n))
    x = preprocess_files([p for p, _ in items[::step][: 2 * n]], InputSpec(height=size, width=size))
    return x[:n], x[n:]


def int8_dice(fp32: Path, int8: Path, x: np.ndarray) -> float:
    """Mean Dice of the two segmenters' lungs (logit above 0) on ``x``."""
    from training.onnx_session import run_onnx

    a, b = run_onnx(fp32, x) > 0, run_onnx(int8, x) > 0
    inter = (a & b).sum(axis=(1, 2, 3))
    return float(np.mean(2 * inter / np.maximum(a.sum(axis=(1, 2, 3)) + b.sum(axis=(1, 2, 3)), 1)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("segmenter", type=Path, help="a training.lungs segmenter.keras")
    ap.add_argument("--model", type=Path, default=Path("assets/model.onnx"), help="the INT8 classifier")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--int8", type=int, default=0, metavar="N", help="also the segmenter in INT8 (N films)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    classifier, morphology = "classifier (INT8, 224)", "mask morphology (224)"
    with tempfile.TemporaryDirectory() as tmp:
        seg = Path(tmp) / "segmenter.onnx"
        size = export_segmenter(args.segmenter, seg)
        segs = {f"segmenter (FP32, {size})": seg}
        if args.int8:
            from convert.quantize import quantize

            calibration, check = films(args.data, args.int8, size)
            int8 = segs[f"segmenter (INT8, {size})"] = Path(tmp) / "segmenter_int8.onnx"
            quantize(seg, int8, calibration)
            dice = int8_dice(seg, int8, check)
            print(f"INT8 vs FP32 segmenter: mean Dice of their lungs on {len(check)} other films {dice:.3f}")
        rows: dict[str, list[float]] = {classifier: [], **{k: [] for k in segs}, morphology: []}
        for _ in range(args.rounds):
            rows[classifier].append(images_per_second(args.model, BATCH, THREADS))
            for k, path in segs.items():
                rows[k].append(images_per_second(path, BATCH, THREADS, size=size))
            rows[morphology].append(morphology_per_second(size))
    ms = {k: 1000 / max(v) for k, v in rows.items()}  # best round: the least disturbed
    one = ms[classifier]
    print(f"batch {BATCH}, {THREADS} threads, best of {args.rounds} rounds of 3 s each")
    print("| part | ms per film |")
    print("| --- | --- |")
    for k, v in ms.items():
        print(f"| {k} | {v:.2f} |")
    blends = {k: 2 * one + ms[k] + ms[morphology] for k in segs}
    for k, blend in blends.items():
        print(f"| blend: classifier twice, {k}, morphology | {blend:.2f} |")
    for k, blend in blends.items():
        print(f"blend with the {k} / classifier alone: {blend / one:.2f}x (issue 18 allows 1.20x)")


if __name__ == "__main__":
    main()
