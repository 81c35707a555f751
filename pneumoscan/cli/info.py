"""``pneumoscan info FILE``: what the loader and every scope check see in one file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pneumoscan.cli import EXIT_OK, EXIT_SOME_FAILED
from pneumoscan.errors import LoadError, ModelError, NotScreenable


def add_parser(sub) -> None:
    info = sub.add_parser("info", help="show what the loader and the scope checks see in one file")
    info.add_argument("file")
    info.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    info.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pneumoscan.reading.loader import load_image
    from pneumoscan.scope.modality import check_modality

    path = Path(args.file)
    print(f"file: {path}")
    status = "ok"
    try:
        img = load_image(path, header_check=check_modality)
    except NotScreenable as exc:  # still show what the file holds
        status = f"{exc.status}: {exc.reason}"
        try:
            img = load_image(path)
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
        status = scope_checks(path, args.model)
    return EXIT_OK if status == "ok" else EXIT_SOME_FAILED


def scope_checks(path: Path, model: str | None) -> str:
    """Run every scope check on the one file (screening would stop at the first refusal)."""
    from pneumoscan.scope import first_refusal
    from pneumoscan.screener import Screener

    try:
        result = next(Screener(model, threads=1, scope_gate=False).screen([path]))
    except ModelError as exc:
        print(f"scope checks: model could not be loaded ({exc})")
        return "ok"
    for check in result.checks:
        print(f"check {check.describe()}")
    refusal = first_refusal(result.checks)
    if refusal is not None:
        print(f"scope: Not assessed: {refusal.reason}")
        return "out_of_scope"
    if result.ok:
        print(
            f"scope: assessed (probability {result.probability:.3f}, {result.result} at {result.operating_point})"
        )
    return result.status
