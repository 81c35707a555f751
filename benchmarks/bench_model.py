"""FP32 vs INT8 ONNX throughput (prints figures; not a test).

    python -m benchmarks.bench_model [RUN_DIR]

RUN_DIR holds model_fp32.onnx and model_int8.onnx from ``python -m convert``; by
default the newest folder under runs/. Batch 1 and 16, 1 and 2 threads, FP32 and
INT8 interleaved in one process so machine noise hits both alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

from convert.speed import compare


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    runs = sorted(p for p in Path("runs").glob("*") if (p / "model_int8.onnx").exists())
    run = Path(args[0]) if args else (runs[-1] if runs else None)
    if run is None:
        raise SystemExit(
            "no run with model_fp32.onnx and model_int8.onnx; run `python -m convert RUN_DIR` first"
        )
    fp32, int8 = run / "model_fp32.onnx", run / "model_int8.onnx"
    print(
        f"{run}: FP32 {fp32.stat().st_size / 1e6:.2f} MB, INT8 {int8.stat().st_size / 1e6:.2f} MB "
        f"({int8.stat().st_size / fp32.stat().st_size:.2f} of FP32)"
    )
    print(f"{'batch':>5}{'threads':>8}{'FP32 img/s':>12}{'INT8 img/s':>12}{'INT8/FP32':>11}")
    for batch in (1, 16):
        for threads in (1, 2):
            r = compare(fp32, int8, batch, threads, seconds=3.0, rounds=2)
            print(f"{batch:>5}{threads:>8}{r['fp32_ips']:>12.1f}{r['int8_ips']:>12.1f}{r['speedup']:>11.2f}")


if __name__ == "__main__":
    main()
