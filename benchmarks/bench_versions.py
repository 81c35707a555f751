"""``python -m benchmarks.bench_versions OLD/model.json [NEW/model.json]``: end-to-end speed of two models.

Screens the same files with each shipped model (scope gate on, as users run
it), alternating, best of ``--rounds``; prints images/s and the ratio, so a
new model can be held to "no slower than the one it replaces".
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pneumoscan.reading.discovery import discover


def rate(screener, files: list[Path]) -> float:
    start = time.perf_counter()
    n = sum(1 for _ in screener.screen(files))
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.screener import Screener

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path, nargs="?", default=Path("assets/model.json"))
    ap.add_argument("--files", default="../shared/data/fullres")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    files = discover([args.files])
    files = files[: args.limit] if args.limit else files
    screeners = {"old": Screener(args.old, threads=2), "new": Screener(args.new, threads=2)}
    for s in screeners.values():
        list(s.screen(files[:16]))  # warm-up
    best = {k: 0.0 for k in screeners}
    for _ in range(args.rounds):
        for name, s in screeners.items():
            best[name] = max(best[name], rate(s, files))
    for name, s in screeners.items():
        print(f"{name}: {s.manifest.version}: {best[name]:.1f} images/s on {len(files)} files")
    print(f"new/old throughput: {best['new'] / best['old']:.2f}x")


if __name__ == "__main__":
    main()
