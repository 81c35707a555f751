"""Which INT8 settings make INT8 faster than FP32 here (prints figures; not a test).

    python -m benchmarks.bench_quant_variants RUN_DIR [--calib 64]

Quantizes RUN_DIR/model_fp32.onnx several ways (U8S8 vs S8S8 activations,
per-channel vs per-tensor weights, first conv kept in FP32) with the same
training-image calibration, and times each against FP32 at batch 16 on 2
threads, interleaved in one process.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from convert.quantize import preprocess_files, quantize
from convert.speed import images_per_second

VARIANTS = {
    "U8S8 per-channel (shipped)": {"activation": "QUInt8", "per_channel": True},
    "S8S8 per-channel": {"activation": "QInt8", "per_channel": True},
    "U8S8 per-tensor": {"activation": "QUInt8", "per_channel": False},
    "U8S8 first conv FP32": {"activation": "QUInt8", "per_channel": True, "exclude_first_conv": True},
}


def main(argv: list[str] | None = None) -> None:
    from training import split
    from training.train import load_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--calib", type=int, default=64)
    args = ap.parse_args(argv)
    cfg = load_config(args.run_dir)
    train, _ = split.split_items(split.list_images(Path(cfg.data)), split.load_split())
    files = [p for p, _ in random.Random(0).sample(train, args.calib)]
    cal = preprocess_files(files)
    fp32 = args.run_dir / "model_fp32.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, kw in VARIANTS.items():
            out = Path(tmp) / f"{len(paths)}.onnx"
            quantize(fp32, out, cal, method="MinMax", **kw)
            paths[name] = out
        base = images_per_second(fp32, 16, 2, seconds=3.0)
        print(f"FP32: {base:.1f} images/s (batch 16, 2 threads)")
        for name, path in paths.items():
            ips = images_per_second(path, 16, 2, seconds=3.0)
            base = max(base, images_per_second(fp32, 16, 2, seconds=3.0))
            print(f"{name:<28} {ips:8.1f} images/s  {ips / base:5.2f}x FP32")


if __name__ == "__main__":
    main()
