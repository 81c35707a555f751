"""``pneumoscan``: screen files and folders to a CSV report, or inspect one file."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from . import __version__
from .discovery import discover
from .errors import LoadError, ModelError, NotScreenable
from .report import write_report
from .results import ScreenResult

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Progress:
    """A one-line progress bar on stderr: count, percent, rate, time left."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.stream = total, stream or sys.stderr
        self.start, self.done, self._last = time.monotonic(), 0, 0.0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        rate = self.rate()
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        pct = 100.0 * self.done / max(self.total, 1)
        bar = "#" * int(pct / 5)
        self.stream.write(
            f"\r[{bar:<20}] {self.done}/{self.total} {pct:5.1f}% {rate:6.1f} img/s ETA {int(left) // 60}:{int(left) % 60:02d}"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def summarize(results: list[ScreenResult], seconds: float) -> str:
    ok = [r for r in results if r.ok]
    flagged = sum(r.flagged for r in ok)
    errors = sum(r.status == "error" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    outside = sum(r.out_of_scope for r in results)
    rate = len(results) / seconds if seconds > 0 else 0.0
    gate = "" if all(r.scope_gate for r in results) else " (scope gate OFF)"
    return (
        f"screened {len(ok)}, flagged {flagged}, out of scope {outside}, errors {errors}, "
        f"skipped {skipped}, {rate:.1f} images/s{gate}"
    )


def cmd_screen(args: argparse.Namespace) -> int:
    from .screener import Screener

    try:
        screener = Screener(
            args.model,
            threads=args.threads,
            operating_point=args.operating_point,
            scope_gate=not args.no_scope_gate,
        )
    except ModelError as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.threshold is not None:
        if not 0.0 <= args.threshold <= 1.0:
            print("pneumoscan: --threshold must be between 0 and 1", file=sys.stderr)
            return EXIT_USAGE
    files = discover(args.paths)
    results: list[ScreenResult] = []
    progress = Progress(len(files))
    cancel = threading.Event()
    start = time.monotonic()
    interrupted = False
    try:
        for result in screener.screen(files, cancel=cancel):
            if args.threshold is not None:
                result.with_threshold("custom", args.threshold)
            results.append(result)
            progress.step()
    except KeyboardInterrupt:
        cancel.set()
        interrupted = True
    progress.close()
    write_report(args.output, results, no_phi=args.no_phi)
    print(summarize(results, time.monotonic() - start), file=sys.stderr)
    print(f"report: {args.output}", file=sys.stderr)
    if interrupted:
        print(f"interrupted: {len(files) - len(results)} files not screened", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if all(r.ok for r in results) else EXIT_SOME_FAILED


def cmd_info(args: argparse.Namespace) -> int:
    from .loader import load_image

    path = Path(args.file)
    print(f"file: {path}")
    status = "ok"
    try:
        img = load_image(path)
    except NotScreenable as exc:  # still show what the file holds
        status = f"{exc.status}: {exc.reason}"
        try:
            img = load_image(path, check_modality=False)
        except LoadError:
            print(f"status: {exc.status}\nreason: {exc.reason}")
            return EXIT_SOME_FAILED
    except LoadError as exc:
        print(f"status: {exc.status}\nreason: {exc.reason}")
        return EXIT_SOME_FAILED
    print(f"status: {status}")
    print(f"decoded: {img.pixels.shape[1]}x{img.pixels.shape[0]} {img.pixels.dtype}")
    for key, value in img.meta.items():
        print(f"{key}: {json.dumps(value) if isinstance(value, dict) else value}")
    for note in img.notes:
        print(f"note: {note}")
    if status == "ok":
        status = _info_checks(path, args.model)
    return EXIT_OK if status == "ok" else EXIT_SOME_FAILED


def _info_checks(path: Path, model: str | None) -> str:
    """Screen the one file to show every scope check's verdict and score."""
    from .screener import Screener

    try:
        result = next(Screener(model, threads=1).screen([path]))
    except ModelError as exc:
        print(f"scope checks: model could not be loaded ({exc})")
        return "ok"
    for check in result.checks:
        print(f"check {check.describe()}")
    if result.out_of_scope:
        print(f"scope: out of scope ({result.reason})")
    elif result.ok:
        print(
            f"scope: assessed (probability {result.probability:.3f}, {result.result} at {result.operating_point})"
        )
    return result.status


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="pneumoscan", description="Offline pneumonia screening for chest X-rays."
    )
    ap.add_argument("--version", action="version", version=f"pneumoscan {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    sc = sub.add_parser("screen", help="screen files and folders, write a CSV report")
    sc.add_argument("paths", nargs="+", help="files and folders (searched recursively)")
    sc.add_argument("-o", "--output", required=True, help="CSV report to write")
    sc.add_argument(
        "--threshold", type=float, default=None, help="probability threshold (overrides the operating point)"
    )
    sc.add_argument("--operating-point", default=None, help="high_sensitivity (default) or balanced")
    sc.add_argument(
        "--no-phi", action="store_true", help="leave patient name, ID, age, sex and accession out"
    )
    sc.add_argument("--threads", type=int, default=2, help="decode and inference threads")
    sc.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    sc.add_argument(
        "--no-scope-gate",
        action="store_true",
        help="research use: score images the gate would refuse (every row records that the gate was off)",
    )
    sc.set_defaults(func=cmd_screen)
    info = sub.add_parser("info", help="show what the loader and the scope checks see in one file")
    info.add_argument("file")
    info.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    info.set_defaults(func=cmd_info)
    return ap


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    return int(args.func(args))


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
