"""``pneumoscan``: screen files and folders to a CSV report, or inspect one file.

One module per command (``add_parser(sub)`` + ``run(args) -> int``), listed
statically so the frozen bundle needs no entry-point metadata.
"""

from __future__ import annotations

import argparse
import sys

from pneumoscan import __version__

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    from pneumoscan.cli import info, listen, profiles, screen, validate, verdicts, watch

    ap = argparse.ArgumentParser(
        prog="pneumoscan", description="Offline pneumonia screening for chest X-rays."
    )
    ap.add_argument("--version", action="version", version=f"pneumoscan {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    for command in (screen, watch, listen, info, validate, profiles, verdicts):
        command.add_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    from pneumoscan.offline import ensure_offline

    ensure_offline(block_downloaders=True)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0) and EXIT_USAGE
        return int(args.func(args))
    except KeyboardInterrupt:  # during start-up: no traceback, nothing was screened
        print("pneumoscan: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def entry() -> None:
    sys.exit(main())
