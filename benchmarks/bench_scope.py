"""``python -m benchmarks.bench_scope``: what the scope gate adds to end-to-end screening time.

Screens the same files with the shipped Screener (every scope check, the
learned gate on the model batch, the feature distance) and with the same
Screener whose gate is replaced by one that checks nothing (and whose model
is not asked for its features). Runs alternate, best of ``--rounds`` each, so
machine noise hits both alike. Prints images/s and the ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pneumoscan.reading.discovery import discover
from pneumoscan.scope.gate import ModelStage


class NoGate:
    """A stand-in that runs no check at all (the baseline)."""

    enabled = True
    config: dict = {}

    def cheap(self, pixels, meta):
        return []

    def model_stage(self, batch, features):
        return [ModelStage(checks=[]) for _ in range(len(batch))]


def screener(gate: str, threads: int):
    """``gate``: "none", "first" (the first learned gate only) or "all" (as shipped)."""
    from pneumoscan.screener import Screener

    s = Screener(threads=threads)
    if gate == "first":
        s.gate.second = None
    if gate == "none":
        s.gate = NoGate()
        s.model.skip("features")  # probability and CAM: no features to fetch
    return s


def seconds(s, files: list[Path]) -> float:
    start = time.perf_counter()
    n = sum(1 for _ in s.screen(files))
    assert n == len(files)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    sets = {
        "fullres (160 full-size JPEGs)": discover([args.data / "fullres"]),
        "training images (5,216 224x224 JPEGs)": discover([args.data / "chest_xray" / "train"]),
    }
    with_gate, first, without = (screener(g, args.threads) for g in ("all", "first", "none"))
    print(
        "| files | without gate img/s | first learned gate only img/s | as shipped img/s "
        "| time added: first gate only | as shipped |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, files in sets.items():
        for s in (with_gate, first, without):  # warm the sessions and the page cache
            seconds(s, files[:64])
        a, f, b = [], [], []
        for _ in range(args.rounds):
            b.append(seconds(without, files))
            f.append(seconds(first, files))
            a.append(seconds(with_gate, files))
        ta, tf, tb = min(a), min(f), min(b)
        print(
            f"| {name} | {len(files) / tb:.0f} | {len(files) / tf:.0f} | {len(files) / ta:.0f} "
            f"| {100 * (tf / tb - 1):+.1f}% | {100 * (ta / tb - 1):+.1f}% |",
            flush=True,
        )


if __name__ == "__main__":
    main()
