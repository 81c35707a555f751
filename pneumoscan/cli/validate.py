"""``pneumoscan validate PATH... [--labels labels.csv] [--adopt NAME] -o validation.html``."""

from __future__ import annotations

import argparse
import sys
import threading

from ..engines.choice import add_engine_arguments, stream_for
from ..errors import ModelError
from ..outputs import OutputError, check_output
from . import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE
from ._console import progress_bar, stop_signals_interrupt


def add_parser(sub) -> None:
    va = sub.add_parser(
        "validate",
        help="measure the model on your own labelled films; propose (and adopt) a site threshold",
        description="Labels come from folder names (NORMAL/PNEUMONIA and synonyms) or from --labels.",
    )
    va.add_argument("paths", nargs="+", help="labelled files and folders")
    va.add_argument("--labels", default=None, help="CSV with path or sop_instance_uid, and label")
    va.add_argument("--target-sensitivity", type=float, default=0.99)
    va.add_argument(
        "--adopt", metavar="NAME", default=None, help="store the proposed site threshold as profile NAME"
    )
    va.add_argument(
        "-o", "--output", default="validation.html", help="HTML report (a JSON file is written beside it)"
    )
    va.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    va.add_argument("--bootstrap", type=int, default=2000, help="patient-level bootstrap resamples")
    add_engine_arguments(va)
    va.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..profiles import ProfileError, save_profile
    from ..screener import Screener
    from ..validation import adopt, validate
    from ..validation.html import write

    if not 0.5 <= args.target_sensitivity < 1.0:
        print("pneumoscan: --target-sensitivity must be from 0.5 to below 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        screener = Screener(args.model)
        check_output(args.output, [], args.paths)
        stream = stream_for(args, screener)
    except (ModelError, OutputError, ImportError) as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar = progress_bar(0)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        with stop_signals_interrupt():
            report = validate(
                args.paths,
                screener,
                args.labels,
                args.target_sensitivity,
                cancel,
                progress,
                n_boot=args.bootstrap,
                stream=stream,
            )
    except KeyboardInterrupt:
        cancel.set()
        bar.close()
        print("pneumoscan: validation interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, OSError) as exc:
        bar.close()
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar.close()
    try:
        html_path, json_path = write(report, args.output)
    except OSError as exc:
        print(f"pneumoscan: the report could not be written ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_SOME_FAILED
    print(report.summary)
    print(f"report: {html_path} (and {json_path.name})", file=sys.stderr)
    if args.adopt:
        try:
            path = save_profile(adopt(report, args.adopt))
        except (ProfileError, ValueError, OSError) as exc:
            print(f"pneumoscan: profile not adopted: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"site profile {args.adopt!r} adopted ({path}); use: pneumoscan screen --profile {args.adopt}")
    return EXIT_OK
