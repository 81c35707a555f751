"""``pneumoscan verdicts export -o FILE.csv`` and ``pneumoscan verdicts import FILE.csv``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pneumoscan.cli import EXIT_OK, EXIT_USAGE


def add_parser(sub) -> None:
    ve = sub.add_parser("verdicts", help="export or import the readers' verdicts (the site's labels)")
    ve.add_argument("--db", default=None, help="verdict database (default: in your data folder)")
    vsub = ve.add_subparsers(dest="action", required=True)
    ex = vsub.add_parser("export", help="the current verdict of every film, as CSV")
    ex.add_argument("-o", "--output", required=True)
    im = vsub.add_parser(
        "import", help="CSV with path, sop_instance_uid or sha256, and verdict (pneumonia, normal, unsure)"
    )
    im.add_argument("file")
    im.add_argument("--reader", default="", help="reader name for rows without a reader column")
    ve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pneumoscan.outputs import OutputError, Target, check_targets
    from pneumoscan.verdicts import VerdictError, VerdictStore, export_csv, import_csv
    from pneumoscan.verdicts.exchange import is_export

    try:
        store = VerdictStore(args.db)
        if args.action == "export":
            check_targets([Target("verdict export", Path(args.output), ours=is_export)], [])
            n = export_csv(store, args.output)
            print(f"{n} verdicts written to {args.output}", file=sys.stderr)
        else:
            n = import_csv(store, args.file, args.reader)
            print(f"{n} verdicts imported into {store.path}", file=sys.stderr)
    except (VerdictError, OutputError, OSError) as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
