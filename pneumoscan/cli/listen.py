"""``pneumoscan listen``: a DICOM node. Films arrive by C-STORE, results go back to the PACS."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from pneumoscan.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE
from pneumoscan.cli.watch import _STOP_SIGNALS
from pneumoscan.errors import ModelError


def add_parser(sub) -> None:
    p = sub.add_parser("listen", help="receive films by DICOM C-STORE, send results back (Ctrl-C stops)")
    p.add_argument("--aet", default="PNEUMOSCAN", help="this node's AE title (default PNEUMOSCAN)")
    p.add_argument("--port", type=int, default=11112, help="port to listen on (default 11112)")
    p.add_argument(
        "--bind",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; a LAN address needs --allow)",
    )
    p.add_argument(
        "--allow", action="append", default=[], metavar="AET[@HOST]", help="a caller that may send (repeat)"
    )
    p.add_argument("-o", "--output", required=True, help="CSV report (rows are added; kept across restarts)")
    p.add_argument("--send-to", default=None, metavar="AET@HOST:PORT", help="PACS that receives the results")
    p.add_argument("--dicom-out", default=None, help="also keep the DICOM results (SC + SR) in this folder")
    p.add_argument("--pdf", default=None, help="daily PDF summary: summary.pdf -> summary-YYYY-MM-DD.pdf")
    p.add_argument("--spool", default="pneumoscan-spool", help="received films and the send queue")
    p.add_argument("--profile", default=None, help="use the site profile NAME adopted with validate --adopt")
    p.add_argument(
        "--operating-point", default=None, help="screening (the default), high_sensitivity or balanced"
    )
    p.add_argument("--no-phi", action="store_true", help="leave patient identity out of every output")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace):
    """``NodeOptions`` from the command line; raises ``NodeConfigError`` with the reason."""
    from pneumoscan.node.config import Caller, NodeOptions, Peer

    return NodeOptions(
        aet=args.aet,
        port=args.port,
        bind=args.bind,
        allow=[Caller.parse(a) for a in args.allow],
        send_to=Peer.parse(args.send_to) if args.send_to else None,
        spool=Path(args.spool).absolute(),
        report=Path(args.output).absolute(),
        dicom_out=Path(args.dicom_out).absolute() if args.dicom_out else None,
        pdf=Path(args.pdf).absolute() if args.pdf else None,
        no_phi=args.no_phi,
    ).check()


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    import signal

    from pneumoscan.cli.screen import screener_from_args
    from pneumoscan.model.profiles import ProfileError
    from pneumoscan.node.config import NodeConfigError
    from pneumoscan.node.service import DicomNode

    try:
        options = options_from_args(args)
        screener, _ = screener_from_args(args)
    except (NodeConfigError, ModelError, ProfileError) as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def show(results) -> None:
        for r in results:
            mark = "FLAGGED " if r.flagged else ""
            _say(f"{mark}{Path(r.path).name}: {r.result or r.status} {r.reason}".rstrip())

    try:
        node = DicomNode(screener, options, on_results=show, on_event=_say)
    except (OSError, ValueError) as exc:  # the watch's errors, an output refused, a bad setting
        print(f"pneumoscan: cannot listen: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        node.start()
    except OSError as exc:
        print(
            f"pneumoscan: cannot listen on {options.bind}:{options.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    node.watch.on_check = _say
    for notice in node.notices:
        print(f"pneumoscan: {notice}", file=sys.stderr)
    allow = ", ".join(f"{c.aet}@{c.host}" if c.host else c.aet for c in options.allow) or "any caller"
    _say(
        f"listening as {options.aet} on {options.bind}:{node.acceptor.port} (accepting {allow}); "
        f"report {options.report}; results to {options.send_to or options.dicom_out or 'none'}; Ctrl-C stops"
    )
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        if not stop.is_set():
            print(
                "stopping: no new associations; finishing the instance in hand...",
                file=sys.stderr,
                flush=True,
            )
        stop.set()

    old = {s: signal.signal(s, request_stop) for s in _STOP_SIGNALS}
    try:
        node.run(stop, on_error=lambda msg: _say(f"node: {msg}"))
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    status = node.status()
    _say(f"node stopped: {status.line}")
    if status.waiting:
        _say(f"{status.waiting} result file(s) still queued in {node.spool.outbox}; sent at the next start")
    return EXIT_SOME_FAILED if node.watch.unwritten else EXIT_OK
