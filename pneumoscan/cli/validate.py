"""``pneumoscan validate PATH... [--labels labels.csv] [--adopt NAME] -o validation.html``."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from pneumoscan.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE
from pneumoscan.cli._console import progress_bar, stop_signals_interrupt
from pneumoscan.engines.choice import add_engine_arguments, stream_for
from pneumoscan.errors import ModelError
from pneumoscan.outputs import OutputError, check_targets, html_target, json_target
from pneumoscan.reading.discovery import discover


def add_parser(sub) -> None:
    va = sub.add_parser(
        "validate",
        help="measure the model on your own labelled films; propose (and adopt) a site threshold",
        description="Labels come from folder names (NORMAL/PNEUMONIA and synonyms) or from --labels.",
    )
    va.add_argument("paths", nargs="+", help="labelled files and folders")
    source = va.add_mutually_exclusive_group()
    source.add_argument("--labels", default=None, help="CSV with path or sop_instance_uid, and label")
    source.add_argument(
        "--from-verdicts",
        action="store_true",
        help="labels from the readers' verdicts (pneumoscan verdicts; films marked unsure are left out)",
    )
    va.add_argument("--db", default=None, help="with --from-verdicts: the verdict database")
    va.add_argument(
        "--adapt",
        action="store_true",
        help="also fit a locally adapted head on the model's features (adopted only when out-of-fold better)",
    )
    va.add_argument("--target-sensitivity", type=float, default=0.99)
    va.add_argument(
        "--adopt", metavar="NAME", default=None, help="store the proposed site threshold as profile NAME"
    )
    va.add_argument(
        "--replace", action="store_true", help="with --adopt: replace an existing profile of that name"
    )
    va.add_argument(
        "--shipped-gate",
        action="store_true",
        help="with --adopt: keep the shipped scope gate, not the site gate the report proposes",
    )
    va.add_argument(
        "-o", "--output", default="validation.html", help="HTML report (a JSON file is written beside it)"
    )
    va.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    va.add_argument("--bootstrap", type=int, default=2000, help="patient-level bootstrap resamples")
    add_engine_arguments(va)
    va.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pneumoscan.model.profiles import ProfileError
    from pneumoscan.screener import Screener
    from pneumoscan.validation import adopt, validate
    from pneumoscan.validation.adoption import save_profile
    from pneumoscan.validation.gate_proposal import scope_lines
    from pneumoscan.validation.html import write

    if not 0.5 <= args.target_sensitivity < 1.0:
        print("pneumoscan: --target-sensitivity must be from 0.5 to below 1", file=sys.stderr)
        return EXIT_USAGE
    from pneumoscan.model.profiles import profile_exists
    from pneumoscan.validation.labels import read_labels

    try:
        if args.adopt:  # a name that cannot be used is refused now, not after an hour of screening
            if profile_exists(args.adopt) and not args.replace:
                raise ProfileError(
                    f"a site profile named {args.adopt!r} exists; add --replace to replace it, or choose "
                    "another name"
                )
        if args.labels:
            read_labels(args.labels)  # a missing file, the wrong columns or our own report: said now
        labels = args.labels
        if args.from_verdicts:
            from pneumoscan.validation.labels import labels_from_verdicts
            from pneumoscan.verdicts import VerdictStore

            labels, unsure = labels_from_verdicts(VerdictStore(args.db))
            n = len(labels.by_uid) + len(labels.by_sha256)
            print(
                f"labels from {n} reader verdicts ({unsure} films marked unsure are left out)",
                file=sys.stderr,
            )
        out = Path(args.output)
        inputs = discover(args.paths) + ([Path(args.labels)] if args.labels else [])
        check_targets(
            [html_target(out), json_target(out.with_suffix(".json"), "validation JSON")], inputs, args.paths
        )
        screener = Screener(args.model)
        stream = stream_for(args, screener)
    except (ModelError, OutputError, ProfileError, ImportError, ValueError, OSError) as exc:
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
                labels,
                args.target_sensitivity,
                cancel,
                progress,
                n_boot=args.bootstrap,
                stream=None if args.adapt else stream,
                adapt=args.adapt,
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
    for claim in report.claims:
        print(f"  {claim}")
    for line in scope_lines(report.scope):
        print(line)
    if report.adapted is not None:
        from pneumoscan.validation.adaptation import summary_lines

        for line in summary_lines(report.adapted):
            print(line)
    print(f"report: {html_path} (and {json_path.name})", file=sys.stderr)
    missing = report.not_used.get("labels_without_a_film", [])
    if missing:
        print(
            f"pneumoscan: {len(missing)} label row(s) name no screened film (listed in the report), "
            f"e.g. {missing[0]}",
            file=sys.stderr,
        )
    if args.adopt:
        try:
            profile = adopt(report, args.adopt, site_gate=not args.shipped_gate)
            path = save_profile(profile)
        except (ProfileError, ValueError, OSError) as exc:
            print(f"pneumoscan: profile not adopted: {exc}", file=sys.stderr)
            return EXIT_USAGE
        what = "with its adapted head" if profile.head else "with the shipped head"
        if report.adapted is not None and not profile.head:
            what += " (the adapted head was not better out of fold)"
        if profile.gate:
            what += f" and the site gate (shift {profile.gate_shift:.2f})"
        print(
            f"site profile {args.adopt!r} adopted {what} ({path}); use: pneumoscan screen --profile {args.adopt}"
        )
    return EXIT_OK
