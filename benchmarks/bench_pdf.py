"""``python -m benchmarks.bench_pdf``: size, time and memory of the PDF summary of a big flagged day.

1,978 flagged films (the case that once made a 171.6 MB PDF in about 50 s at 826 MB), each with a
96-pixel thumbnail and a heatmap as the watch keeps them. Run under ``/usr/bin/time -v`` for the
peak memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.outputs.pdf import SummaryInfo, write_summary
    from pneumoscan.results import ScreenResult

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=int, default=1978)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    results = []
    for i in range(args.films):
        r = ScreenResult(
            path=Path(f"/films/film_{i:04d}.dcm"), status="ok", probability=float(rng.uniform(0.5, 1))
        )
        r.with_threshold("high_sensitivity", 0.2)
        r.thumbnail = rng.integers(0, 255, (96, 80), dtype=np.uint8)
        r.cam = rng.normal(size=(14, 14)).astype(np.float32)
        results.append(r)
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        path = write_summary(Path(d) / "big.pdf", results, SummaryInfo("1.0"))
        print(
            f"{len(results)} flagged films: {path.stat().st_size / 1e6:.2f} MB in {time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main()
