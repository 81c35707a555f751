"""``pneumoscan profiles [--remove NAME]``: list or remove adopted site profiles."""

from __future__ import annotations

import argparse
import sys

from pneumoscan.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE


def add_parser(sub) -> None:
    pr = sub.add_parser("profiles", help="list (or remove) the site profiles adopted with validate --adopt")
    pr.add_argument("--remove", metavar="NAME", default=None)
    pr.add_argument("--model", default=None, help="model manifest (default: the shipped assets/model.json)")
    pr.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pneumoscan.model.profiles import (
        ProfileError,
        list_profiles,
        profile_problems,
        profiles_dir,
        remove_profile,
    )

    if args.remove:
        try:
            remove_profile(args.remove)
        except ProfileError as exc:
            print(f"pneumoscan: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"removed site profile {args.remove!r}")
        return EXIT_OK
    found, problems = list_profiles(), profile_problems()
    installed = _installed_sha(args.model)
    for problem in problems:
        print(f"pneumoscan: unusable profile {problem}", file=sys.stderr)
    if not found:
        print(f"no site profiles in {profiles_dir()} (adopt one with: pneumoscan validate ... --adopt NAME)")
    for p in found:
        print(
            f"{p.name}: threshold {p.threshold:.4f}, {p.counts.get('films', '?')} films, "
            f"sensitivity {_rate(p.figures.get('sensitivity'))}, specificity {_rate(p.figures.get('specificity'))}, "
            f"model {p.model_version}, {p.created}"
            + (f", site gate (shift {p.gate_shift:.2f})" if p.gate else "")
            + ("" if installed is None or p.model_sha256.lower() == installed else _OTHER_MODEL)
        )
    return EXIT_SOME_FAILED if problems else EXIT_OK


_OTHER_MODEL = " - measured with another model: not used; validate again"


def _installed_sha(manifest: str | None) -> str | None:
    """The installed model's SHA-256, from its manifest (None when it cannot be read: nothing marked)."""
    from pneumoscan.errors import ModelError
    from pneumoscan.model.manifest import Manifest, default_assets_dir

    try:
        return str(Manifest.load(manifest or default_assets_dir() / "model.json").data["sha256"]).lower()
    except (ModelError, OSError, KeyError, ValueError):
        return None


def _rate(figure) -> str:
    """``99.1% (95% CI 97.0-99.9)`` from a stored figure; ``?`` for anything else."""
    try:
        text = f"{100 * float(figure['value']):.1f}%"
        lo, hi = figure.get("ci95", (None, None))
        return f"{text} (95% CI {100 * float(lo):.1f}-{100 * float(hi):.1f})" if lo is not None else text
    except (TypeError, KeyError, ValueError, AttributeError):
        return "?"
