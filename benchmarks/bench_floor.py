"""``python -m benchmarks.bench_floor``: ``pneumoscan screen``'s speed against its decode + model floor.

The floor, measured in the same run on the same files and threads:
- decode: Pillow opens each file (JPEG draft mode, as the loader asks), converts it to
  grayscale and preprocesses it (squash + equalisation), on ``--threads`` threads, with no
  check, no metadata and no thumbnail;
- model: the shipped network on those tensors in batches of 16, plus the learned scope gate's
  network on the same batches (the gate is on in the screen being measured).
floor time = decode time + model time (the two share the cores). The screen is the full
Screener with the gate on (reading, every check, both networks, the distance, ordering).
Runs alternate, best of ``--rounds``; prints images/s and screen / floor.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.bench_scope import seconds
from pneumoscan.model.preprocess import preprocess
from pneumoscan.reading.discovery import discover


def decode_only(path: Path, side: int) -> np.ndarray:
    with Image.open(path) as img:
        if img.format == "JPEG":
            img.draft("L", (side, side))
        gray = np.asarray(img.convert("L"))
    return preprocess(gray)


def time_decode(files: list[Path], threads: int, side: int) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        tensors = list(pool.map(lambda p: decode_only(p, side), files))
    return time.perf_counter() - start, np.stack(tensors)


def time_model(screener, tensors: np.ndarray, batch: int = 16) -> float:
    start = time.perf_counter()
    for i in range(0, len(tensors), batch):
        x = tensors[i : i + batch]
        screener.model.predict(x)
        if screener.gate.classifier is not None:
            screener.gate.classifier.predict(x)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline
    from pneumoscan.screener import Screener

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--small", type=int, default=2000, help="how many 224x224 training JPEGs")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    screener = Screener(threads=args.threads)
    side = max(screener.spec.height, screener.spec.width)
    sets = {
        "full-size JPEGs (fullres, 160, four times)": discover([args.data / "fullres"]) * 4,
        f"224x224 training JPEGs ({args.small})": discover([args.data / "chest_xray" / "train"])[
            :: max(1, 5216 // args.small)
        ][: args.small],
    }
    print("| files | decode img/s | model img/s | floor img/s | screen img/s (gate on) | screen / floor |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, files in sets.items():
        seconds(screener, files[:32])  # warm the sessions and the page cache
        dec, mod, scr = [], [], []
        for _ in range(args.rounds):
            d, tensors = time_decode(files, args.threads, side)
            dec.append(d)
            mod.append(time_model(screener, tensors))
            scr.append(seconds(screener, files))
        d, m, s = min(dec), min(mod), min(scr)
        n = len(files)
        print(
            f"| {name} | {n / d:.0f} | {n / m:.0f} | {n / (d + m):.0f} | {n / s:.0f} | {(d + m) / s:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
