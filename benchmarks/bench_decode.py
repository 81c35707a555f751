"""Decode-and-preprocess throughput on ../shared/data/fullres (prints figures; not a test).

    python -m benchmarks.bench_decode [--repeat 2]

Compares the shipped path (JPEG draft mode at the smallest DCT scale still >= the
model input, then a resize with ``reducing_gap``) with a plain full decode and
resize, on 1 and 2 threads, and the same images wrapped as DICOM (uncompressed
and JPEG baseline). Also prints how far the fast path's tensors are from the
plain path's after preprocessing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from pneumoscan.model.preprocess import InputSpec, equalize, preprocess
from pneumoscan.reading.loader import load_image

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fullres"
SPEC = InputSpec()


def fast(path: Path) -> np.ndarray:
    return preprocess(load_image(path, min_size=max(SPEC.height, SPEC.width)).pixels, SPEC)


def plain(path: Path) -> np.ndarray:
    """Full-resolution decode, then a plain antialiased resize (no draft, no reducing gap)."""
    with Image.open(path) as img:
        gray = img.convert("L")
    small = gray.resize((SPEC.width, SPEC.height), Image.Resampling.BILINEAR)
    return equalize(np.asarray(small, dtype=np.float32) / 255.0)[..., None]


def throughput(fn, files: list[Path], threads: int, repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(fn, files):
                pass
        best = max(best, len(files) / (time.perf_counter() - start))
    return best


def make_dicoms(files: list[Path], out: Path, syntax: str) -> list[Path]:
    from tests.dicom_factory import write_dicom

    made = []
    for i, f in enumerate(files):
        with Image.open(f) as img:
            arr = np.asarray(img.convert("L"))
        made.append(write_dicom(out / f"{syntax}_{i:03d}.dcm", arr, syntax, window=(127.5, 256)))
    return made


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    files = sorted(DATA.rglob("*.jp*g"))
    if not files:
        raise SystemExit(f"no images under {DATA}")
    print(f"{len(files)} full-resolution JPEGs from {DATA}")
    diffs = [np.abs(fast(f) - plain(f)) for f in files]
    print(
        f"fast vs plain after preprocessing ([-1, 1] scale): mean |diff| {np.mean([d.mean() for d in diffs]):.4f}, "
        f"99th pct {np.percentile(np.concatenate([d.ravel() for d in diffs]), 99):.4f}"
    )
    rows = {}
    for threads in (1, 2):
        rows[("jpeg fast", threads)] = throughput(fast, files, threads, args.repeat)
        rows[("jpeg plain", threads)] = throughput(plain, files, threads, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        for syntax in ("explicit", "jpeg"):
            dicoms = make_dicoms(files, Path(tmp), syntax)
            for threads in (1, 2):
                rows[(f"dicom {syntax}", threads)] = throughput(fast, dicoms, threads, args.repeat)
    print(f"{'path':<16}{'1 thread':>12}{'2 threads':>12}{'2 / 1':>8}   (images/s)")
    for name in ("jpeg fast", "jpeg plain", "dicom explicit", "dicom jpeg"):
        a, b = rows[(name, 1)], rows[(name, 2)]
        print(f"{name:<16}{a:>12.1f}{b:>12.1f}{b / a:>8.2f}")
    for threads in (1, 2):
        ratio = rows[("jpeg fast", threads)] / rows[("jpeg plain", threads)]
        print(f"fast / plain JPEG on {threads} thread(s): {ratio:.2f}x")


if __name__ == "__main__":
    main()
