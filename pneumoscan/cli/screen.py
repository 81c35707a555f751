"""``pneumoscan screen PATH... -o report.csv``: screen files and folders to a CSV report."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from pneumoscan.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE
from pneumoscan.cli._console import progress_bar, signals_ignored, stop_signals_interrupt, summarize
from pneumoscan.engines.choice import add_engine_arguments, stream_for
from pneumoscan.errors import ModelError
from pneumoscan.model.profiles import ProfileError
from pneumoscan.outputs import (
    OutputError,
    check_targets,
    fallback_path,
    folder_target,
    pdf_target,
    report_target,
)
from pneumoscan.outputs.csv_report import write_report
from pneumoscan.outputs.publish import ModelInfo, PublishOptions, publish
from pneumoscan.reading.discovery import discover_with_problems
from pneumoscan.results import ScreenResult, problem_results

#: A long run saves what it has at this interval, so a power cut loses minutes, not hours.
CHECKPOINT_SECONDS = 60.0


def add_parser(sub) -> None:
    sc = sub.add_parser("screen", help="screen files and folders, write a CSV report")
    sc.add_argument("paths", nargs="+", help="files and folders (searched recursively)")
    sc.add_argument("-o", "--output", required=True, help="CSV report to write")
    sc.add_argument(
        "--threshold", type=float, default=None, help="probability threshold (overrides the operating point)"
    )
    sc.add_argument(
        "--operating-point", default=None, help="screening (the default), high_sensitivity or balanced"
    )
    sc.add_argument("--profile", default=None, help="use the site profile NAME adopted with validate --adopt")
    sc.add_argument(
        "--no-phi", action="store_true", help="leave patient name, ID, age, sex and accession out"
    )
    sc.add_argument(
        "--threads", type=int, default=2, help="decode and inference threads (at most the CPU count)"
    )
    sc.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    sc.add_argument(
        "--no-scope-gate",
        action="store_true",
        help="research use: score images the gate would refuse (every row records that the gate was off)",
    )
    sc.add_argument("--dicom-out", default=None, help="folder for DICOM results (SC + SR) of DICOM inputs")
    sc.add_argument("--pdf", default=None, help="printable PDF summary of the batch")
    add_engine_arguments(sc)
    sc.set_defaults(func=run)


def clamp_threads(requested: int) -> int:
    cpus = os.cpu_count() or 1
    threads = max(1, min(int(requested), cpus))
    if threads != requested:
        print(
            f"pneumoscan: --threads {requested} clamped to {threads} (this machine has {cpus} CPUs)",
            file=sys.stderr,
        )
    return threads


def save(output: Path, results: list[ScreenResult], no_phi: bool) -> Path:
    """Write the report; if its place fails now, save it elsewhere and say where."""
    with signals_ignored():
        try:
            return write_report(output, results, no_phi=no_phi)
        except OSError as exc:
            spare = fallback_path(output)
            write_report(spare, results, no_phi=no_phi)
            print(
                f"pneumoscan: could not write {output} ({exc.strerror or exc}); saved to {spare}",
                file=sys.stderr,
            )
            return spare


def attach_verdicts(results: list[ScreenResult]) -> None:
    """The readers' verdicts into the report's rows, where a film has one (no database: nothing)."""
    from pneumoscan.verdicts import VerdictStore, attach, default_path

    if default_path().exists():
        attach(results, VerdictStore())


def screener_from_args(args: argparse.Namespace):
    """(Screener, profiles) from ``--model --threads --operating-point --profile [--no-scope-gate]``,
    shared by ``screen`` and ``watch``; raises ``ModelError`` or ``ProfileError``."""
    from pneumoscan.model.profiles import load_profile
    from pneumoscan.screener import Screener

    profiles = [load_profile(args.profile)] if args.profile else []
    screener = Screener(
        args.model,
        threads=clamp_threads(args.threads),
        operating_point=args.operating_point or (profiles[0].operating_point if profiles else None),
        scope_gate=not getattr(args, "no_scope_gate", False),
        profiles=profiles,
    )
    return screener, profiles


def run(args: argparse.Namespace) -> int:
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        print("pneumoscan: --threshold must be between 0 and 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        screener, profiles = screener_from_args(args)
    except (ModelError, ProfileError) as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        stream = stream_for(args, screener, profiles)
    except ImportError as exc:
        print(f"pneumoscan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    files, problems = discover_with_problems(args.paths, exclude=[args.dicom_out] if args.dicom_out else [])
    targets = [report_target(args.output)]
    if args.pdf:
        targets.append(pdf_target(args.pdf))
    if args.dicom_out:
        targets.append(folder_target(args.dicom_out))
    try:
        check_targets(targets, files, args.paths)
    except OutputError as exc:
        print(f"pneumoscan: report not started: {exc}", file=sys.stderr)
        return EXIT_USAGE
    output = Path(args.output)
    results: list[ScreenResult] = []
    cancel = threading.Event()
    start = last_save = time.monotonic()
    interrupted = False
    bar = progress_bar(len(files))
    try:
        with stop_signals_interrupt():
            for result in stream(files, cancel):
                if args.threshold is not None and result.ok:
                    # a custom threshold keeps a profile's own gate (its films were judged by it)
                    result.with_threshold(
                        "custom", args.threshold, screener.site_gates.get(screener.operating_point)
                    )
                results.append(result)
                bar.update(1)
                if time.monotonic() - last_save > CHECKPOINT_SECONDS:
                    save(output, results, args.no_phi)
                    last_save = time.monotonic()
    except KeyboardInterrupt:
        cancel.set()
        interrupted = True
    bar.close()
    results.extend(problem_results(problems, screener.manifest.version))
    attach_verdicts(results)
    from pneumoscan.scope.batch import check_results

    batch = check_results(results, screener.batch_reference)
    options = PublishOptions(
        report=output,
        dicom_out=Path(args.dicom_out) if args.dicom_out and not interrupted else None,
        pdf=Path(args.pdf) if args.pdf else None,
        no_phi=args.no_phi,
        batch_check=batch.line,
    )
    with signals_ignored():
        try:
            done = publish(results, options, ModelInfo.of(screener))
            written = output
        except OSError as exc:  # the report's place failed at the end: save it elsewhere, say where
            written = fallback_path(output)
            done = publish(results, replace(options, report=written, dicom_out=None), ModelInfo.of(screener))
            print(
                f"pneumoscan: could not write {output} ({exc.strerror or exc}); saved to {written}",
                file=sys.stderr,
            )
    if options.dicom_out is not None:
        print(f"DICOM results: {done.dicom_files} files in {options.dicom_out}", file=sys.stderr)
    if done.pdf is not None:
        print(f"PDF summary: {done.pdf}", file=sys.stderr)
    for problem in done.problems:
        print(f"pneumoscan: {problem}", file=sys.stderr)
    outputs_ok = done.ok
    print(summarize(results, time.monotonic() - start), file=sys.stderr)
    print(batch.line, file=sys.stderr)
    print(f"report: {written}", file=sys.stderr)
    if interrupted:
        print(
            f"interrupted: {len(files) - (len(results) - len(problems))} files not screened", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    if written != output or not outputs_ok:
        return EXIT_SOME_FAILED
    return EXIT_OK if all(r.ok for r in results) else EXIT_SOME_FAILED
