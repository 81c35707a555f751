"""``pneumoscan profiles [--remove NAME]``: list or remove adopted site profiles."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_OK, EXIT_USAGE


def add_parser(sub) -> None:
    pr = sub.add_parser("profiles", help="list (or remove) the site profiles adopted with validate --adopt")
    pr.add_argument("--remove", metavar="NAME", default=None)
    pr.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..profiles import ProfileError, list_profiles, profiles_dir, remove_profile

    if args.remove:
        try:
            remove_profile(args.remove)
        except ProfileError as exc:
            print(f"pneumoscan: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"removed site profile {args.remove!r}")
        return EXIT_OK
    found = list_profiles()
    if not found:
        print(f"no site profiles in {profiles_dir()} (adopt one with: pneumoscan validate ... --adopt NAME)")
    for p in found:
        sens, spec = p.figures.get("sensitivity", {}), p.figures.get("specificity", {})
        print(
            f"{p.name}: threshold {p.threshold:.4f}, {p.counts.get('films', '?')} films, "
            f"sensitivity {100 * sens.get('value', float('nan')):.1f}%, specificity {100 * spec.get('value', float('nan')):.1f}%, "
            f"model {p.model_version}, {p.created}"
        )
    return EXIT_OK
