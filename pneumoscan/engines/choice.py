"""``--engine local|ray``: one switch for ``screen`` and ``validate``.

Both engines yield the same ``ScreenResult`` objects in input order, so
everything after screening (reports, validation statistics) is shared.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pneumoscan.results import ScreenResult

Stream = Callable[[Sequence[Path], threading.Event], Iterator[ScreenResult]]


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local (default) or ray (pip install '.[cluster]')",
    )
    parser.add_argument(
        "--address", default=None, help="Ray cluster address, e.g. ray://HEAD:10001 (default: local Ray)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="Ray actors running the model (default: the CPUs)"
    )


def stream_for(args: argparse.Namespace, screener, profiles: Sequence = ()) -> Stream:
    """The screening function the engine asks for; ``ImportError`` (with the install hint) without Ray."""
    if getattr(args, "engine", "local") != "ray":
        return lambda files, cancel: screener.screen(files, cancel=cancel)
    from pneumoscan.engines.ray_engine import ScreenerSpec, screen_with_ray
    from pneumoscan.engines.ray_offline import import_ray

    import_ray(local=not args.address)  # fail now, before anything is screened, if Ray is missing
    spec = ScreenerSpec(
        manifest=str(screener.manifest.path),
        operating_point=screener.operating_point,
        scope_gate=screener.gate.enabled,
        profiles=tuple(profiles),
    )

    def stream(files: Sequence[Path], cancel: threading.Event) -> Iterator[ScreenResult]:
        for result in screen_with_ray(files, spec, args.address, args.workers, preparer=screener.preparer):
            if cancel.is_set():
                return
            yield result

    return stream
