"""``python -m benchmarks.bench_engines``: local engine vs Ray engine on the same files, one run.

Each engine screens the folder as its own ``pneumoscan screen`` process; a
sampler adds up the resident memory of that process and every process it
started (Ray's GCS, raylet and workers are its children) every 0.2 s. Prints
wall time, images/s, peak memory, and the ratios. The Ray figure includes
starting the local instance (about 10 s): on a cluster that cost is paid once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run(engine: str, folder: Path, workers: int) -> dict:
    out = Path(tempfile.mkdtemp()) / "r.csv"
    cmd = [sys.executable, "-m", "pneumoscan", "screen", str(folder), "-o", str(out), "--engine", engine]
    if engine == "ray":
        cmd += ["--workers", str(workers)]
    else:
        cmd += ["--threads", str(workers)]
    peak = 0
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.monotonic() - start
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{engine} failed: {err[-2000:]}")
    files = sum(1 for _ in open(out, encoding="utf-8-sig")) - 1
    return {
        "engine": engine,
        "files": files,
        "seconds": seconds,
        "img_s": files / seconds,
        "peak_mb": peak / 1e6,
    }


def j2k_folder(source: Path, out: Path) -> Path:
    """Full-size films as JPEG 2000 DICOMs, the usual compression of a PACS archive."""
    import numpy as np
    from PIL import Image
    from pydicom.uid import JPEG2000Lossless

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.dicom_factory import make_dataset

    out.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(sorted(source.rglob("*.jp*g"))):
        ds = make_dataset(np.asarray(Image.open(f).convert("L")))
        ds.compress(JPEG2000Lossless)
        ds.save_as(out / f"film_{i:04d}.dcm", enforce_file_format=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default="../shared/data/chest_xray/train")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument(
        "--j2k-from", type=Path, default=None, help="screen these films re-encoded as JPEG 2000 DICOMs"
    )
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if args.j2k_from:
        folder = j2k_folder(args.j2k_from, Path(tempfile.mkdtemp()) / "j2k")
    engines = args.engines.split(",")
    rows = [run(engine, folder, args.workers) for engine in engines]
    for r in rows:
        print(
            f"{r['engine']:>5}: {r['files']} files in {r['seconds']:.1f} s, {r['img_s']:.1f} img/s, peak {r['peak_mb']:.0f} MB"
        )
    if len(rows) < 2:
        print(f"per-core throughput, {rows[0]['engine']} engine: {rows[0]['img_s'] / args.workers:.1f} img/s")
        return
    for r in rows:
        print(
            f"{r['engine']:>5}: {r['files']} files in {r['seconds']:.1f} s, {r['img_s']:.1f} img/s, peak {r['peak_mb']:.0f} MB"
        )
    local, ray = rows
    print(
        f"ray/local: throughput {ray['img_s'] / local['img_s']:.2f}x, peak memory {ray['peak_mb'] / local['peak_mb']:.2f}x "
        f"({args.workers} workers on {os.cpu_count()} CPUs)"
    )
    print(f"per-core throughput, local engine: {local['img_s'] / args.workers:.1f} img/s")


if __name__ == "__main__":
    main()
