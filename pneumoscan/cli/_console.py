"""What the terminal shows (a tqdm bar, the summary) and how signals stop a run cleanly."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

from pneumoscan.results import ScreenResult, Status


def progress_bar(total: int):
    """A tqdm bar on stderr: count, percent, rate, time left."""
    from tqdm import tqdm

    return tqdm(total=total, unit="img", file=sys.stderr, dynamic_ncols=True, mininterval=0.2)


def summarize(results: list[ScreenResult], seconds: float) -> str:
    ok = [r for r in results if r.ok]
    flagged = sum(r.flagged for r in ok)
    errors = sum(r.status == Status.ERROR for r in results)
    skipped = sum(r.status == Status.SKIPPED for r in results)
    outside = sum(r.out_of_scope for r in results)
    rate = len(results) / seconds if seconds > 0 else 0.0
    gate = "" if all(r.scope_gate for r in results) else " (scope gate OFF)"
    return (
        f"screened {len(ok)}, flagged {flagged}, out of scope {outside}, errors {errors}, "
        f"skipped {skipped}, {rate:.1f} images/s{gate}"
    )


STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)


def _raise_interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a run like Ctrl-C does: the report keeps what was screened."""
    old = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        for s in STOP_SIGNALS:
            signal.signal(s, _raise_interrupt)
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """While the report is saved, a second Ctrl-C (or TERM/HUP) must not lose it."""
    sigs = (signal.SIGINT, *STOP_SIGNALS)
    old = {s: signal.getsignal(s) for s in sigs}
    try:
        for s in sigs:
            signal.signal(s, signal.SIG_IGN)
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
