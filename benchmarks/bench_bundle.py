"""Size and start-up time of the PyInstaller folder (prints figures; not a test).

    python -m benchmarks.bench_bundle [--runs 5]

Size on disk is the sum of allocated blocks (what ``du`` reports). Start-up is
wall time from process start to ``pneumoscan --version`` exiting, and to the GUI's
first shown window (``--startup-probe`` prints a line once the event loop shows
it). The first run of each follows a page-cache drop where the OS allows it
(cold); the median of the rest is the warm figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "dist" / "PneumoScan"


def disk_usage(folder: Path) -> tuple[int, int]:
    blocks = apparent = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            blocks += st.st_blocks * 512
            apparent += st.st_size
    return blocks, apparent


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def time_cli() -> float:
    start = time.perf_counter()
    subprocess.run([str(DIST / "pneumoscan"), "--version"], check=True, capture_output=True)
    return time.perf_counter() - start


def time_gui() -> float:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(DIST / "pneumoscan-gui"), "--startup-probe"], stdout=subprocess.PIPE, text=True, env=env
    )
    for line in proc.stdout:
        if "PNEUMOSCAN_WINDOW_SHOWN" in line:
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError("GUI never reported a shown window")
    proc.wait(timeout=30)
    return elapsed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    if not (DIST / "pneumoscan").exists():
        raise SystemExit(f"no bundle at {DIST}; run `make bundle` first")
    blocks, apparent = disk_usage(DIST)
    print(
        f"bundle {DIST}: {blocks / 2**20:.1f} MiB on disk ({blocks / 1e6:.1f} MB), {apparent / 2**20:.1f} MiB of file data"
    )
    for name, fn in (("CLI --version", time_cli), ("GUI first window", time_gui)):
        cold = drop_caches()
        first = fn()
        warm = [fn() for _ in range(args.runs)]
        label = "cold (page cache dropped)" if cold else "first run (cache not dropped)"
        print(f"{name}: {label} {first:.2f} s; warm median {statistics.median(warm):.2f} s over {args.runs}")


if __name__ == "__main__":
    main()
