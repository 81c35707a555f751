"""``pneumoscan watch FOLDER -o report.csv``: screen new films as they arrive, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from pneumoscan.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE
from pneumoscan.errors import ModelError

_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


def add_parser(sub) -> None:
    w = sub.add_parser("watch", help="screen files as they arrive in a folder (Ctrl-C stops)")
    w.add_argument("folder", help="folder the modality or PACS exports to (watched recursively)")
    w.add_argument("-o", "--output", required=True, help="CSV report (rows are added; kept across restarts)")
    w.add_argument("--dicom-out", default=None, help="folder for DICOM results (SC + SR) of DICOM inputs")
    w.add_argument("--pdf", default=None, help="daily PDF summary: summary.pdf -> summary-YYYY-MM-DD.pdf")
    w.add_argument("--profile", default=None, help="use the site profile NAME adopted with validate --adopt")
    w.add_argument(
        "--operating-point", default=None, help="screening (the default), high_sensitivity or balanced"
    )
    w.add_argument("--no-phi", action="store_true", help="leave patient identity out of every output")
    w.add_argument("--poll", action="store_true", help="poll instead of file-system events (network shares)")
    w.add_argument("--settle", type=float, default=2.0, help="seconds a file must stay unchanged (default 2)")
    w.add_argument("--threads", type=int, default=2)
    w.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    w.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pneumoscan.cli.screen import screener_from_args
    from pneumoscan.model.profiles import ProfileError
    from pneumoscan.watch import FolderWatch, WatchOptions

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"pneumoscan: {folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        screener, _ = screener_from_args(args)
    except (ModelError, ProfileError) as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = WatchOptions(
        report=Path(args.output).absolute(),
        dicom_out=Path(args.dicom_out).absolute() if args.dicom_out else None,
        pdf=Path(args.pdf).absolute() if args.pdf else None,
        no_phi=args.no_phi,
        poll=args.poll,
        settle=args.settle,
    )

    def show(results) -> None:
        for r in results:
            mark = "FLAGGED " if r.flagged else ""
            print(f"{mark}{r.path}: {r.result or r.status} {r.reason}".rstrip(), file=sys.stderr, flush=True)

    try:
        watch = FolderWatch(folder, screener, options, on_results=show)
    except (OSError, ValueError) as exc:  # WatchError: lock held, an output refused, state unusable
        print(f"pneumoscan: cannot watch {folder}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        watch.start()
    except OSError as exc:
        watch.close()
        print(f"pneumoscan: cannot watch {folder}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    watch.on_check = lambda line: print(line, file=sys.stderr, flush=True)
    for notice in watch.notices:
        print(f"pneumoscan: {notice}", file=sys.stderr)
    print(
        f"watching {folder} ({watch.observer_kind}); report {options.report}; Ctrl-C stops", file=sys.stderr
    )
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        # no exception mid-write: the screener finishes the file in hand, the batch so far is saved
        if not stop.is_set():
            print("stopping after the file in hand...", file=sys.stderr, flush=True)
        stop.set()

    old = {s: signal.signal(s, request_stop) for s in _STOP_SIGNALS}
    try:
        watch.run(stop, on_error=lambda msg: print(f"pneumoscan: watch: {msg}", file=sys.stderr, flush=True))
    finally:
        watch.close()
        for s, handler in old.items():
            signal.signal(s, handler)
    s = watch.stats
    print(
        f"watch stopped: {s.screened} screened, {s.flagged} flagged, {s.duplicates} duplicates skipped",
        file=sys.stderr,
    )
    if watch.unwritten:
        print(
            f"pneumoscan: {watch.unwritten} output(s) could not be written (DICOM results or the day's PDF); "
            "see the messages above and the report's notes",
            file=sys.stderr,
        )
        return EXIT_SOME_FAILED
    return EXIT_OK
