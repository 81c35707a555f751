"""Background work for the GUI: one ``Job`` class for screening, loading, thumbnails and exports.

Workers never touch widgets; they talk to the window only through signals
(queued across threads by Qt). Each can run synchronously (``run()`` on the
calling thread) so tests are deterministic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from pneumoscan.errors import LoadError
from pneumoscan.outputs.publish import ModelInfo, PublishOptions, publish
from pneumoscan.prepare import make_thumbnail
from pneumoscan.reading.discovery import discover
from pneumoscan.reading.loader import load_image
from pneumoscan.results import ScreenResult
from pneumoscan.screener import Screener, lower_thread_priority
from pneumoscan.verdicts import attach


class JobSignals(QObject):
    progress = Signal(object)  # what the function reports as it goes (a tuple of numbers, a message)
    partial = Signal(object)  # results that are ready before the end (chunks, arrivals)
    done = Signal(object, object)  # key, the function's value
    failed = Signal(object, str)  # key, what went wrong, in words
    finished = Signal(object, bool)  # key, cancelled: always last


class JobControl:
    """What a job's function may do: report progress and partial results, and see a cancel."""

    def __init__(self, signals: JobSignals, cancel_event: threading.Event) -> None:
        self._signals, self.cancel_event = signals, cancel_event

    def progress(self, *values: object) -> None:
        self._signals.progress.emit(values)

    def partial(self, value: object) -> None:
        self._signals.partial.emit(value)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class Job(QRunnable):
    """The one background job: runs ``fn(control)`` off the GUI thread (or inline: ``Runner(sync=True)``).

    It never touches widgets: everything reaches the window by signals, queued across threads.
    ``cancel()`` sets the event the function watches. An exception becomes ``failed`` with its
    message; decoder panics derive from ``BaseException`` and are caught too.
    """

    def __init__(self, key: object, fn: Callable[[JobControl], object]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.key, self.fn = key, fn
        self.signals = JobSignals()
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            value = self.fn(JobControl(self.signals, self.cancel_event))
        except LoadError as exc:
            self.signals.failed.emit(self.key, exc.reason)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - reported to the user, never raised into Qt
            self.signals.failed.emit(self.key, str(exc) or type(exc).__name__)
        else:
            self.signals.done.emit(self.key, value)
        finally:
            self.signals.finished.emit(self.key, self.cancel_event.is_set())


def call(key: object, fn: Callable[[], object]) -> Job:
    """A job for a plain function (load an image, make a thumbnail, export)."""
    return Job(key, lambda _control: fn())


def screen_job(screener: Screener, paths: Sequence[str | Path], chunk_seconds: float = 0.1) -> Job:
    """Discover files under ``paths`` and screen them, streaming results in chunks.

    Progress reports ``(done, total, images per second, seconds left)``, first ``(0, total, 0, 0)``;
    results are grouped for up to ``chunk_seconds`` so a fast model does not flood the GUI thread
    with one signal per image. The value is the number of files screened.
    """

    def run(control: JobControl) -> int:
        if screener.background:
            lower_thread_priority()
        files = discover(paths)
        total = len(files)
        verdicts = _verdict_store()
        control.progress(0, total, 0.0, 0.0)
        start = last = time.monotonic()
        pending: list[ScreenResult] = []
        done = 0
        for result in screener.screen(files, cancel=control.cancel_event, thumbnails=True):
            pending.append(result)
            done += 1
            if verdicts:
                attach([result], latest=verdicts)
            now = time.monotonic()
            if now - last >= chunk_seconds or done == total or done == 1:
                _flush(control, pending, done, total, now - start)
                pending, last = [], now
        if pending:
            _flush(control, pending, done, total, time.monotonic() - start)
        return done

    return Job(None, run)


def _verdict_store() -> dict:
    """The readers' latest verdicts when a database exists (they join the worklist)."""
    from pneumoscan.verdicts import VerdictStore, default_path

    return VerdictStore().latest() if default_path().exists() else {}


def _flush(control: JobControl, pending: list[ScreenResult], done: int, total: int, elapsed: float) -> None:
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else 0.0
    control.partial(list(pending))
    control.progress(done, total, rate, left)


def load_full(path: Path):
    return load_image(path)


def thumbnail_of(path: Path):
    return make_thumbnail(load_image(path, min_size=256).pixels)


def export_csv(path: Path, results: list[ScreenResult], no_phi: bool, model: ModelInfo) -> Path:
    """The report through the one publish step (same bytes as the CLI's)."""
    return publish(results, PublishOptions(report=path, no_phi=no_phi), model).report


class Runner:
    """Starts tasks on a thread pool, or inline when ``sync`` (tests).

    A task (and so its signals object) is kept alive until it has reported:
    a queued signal whose sender was garbage-collected is silently dropped,
    which once lost export messages and thumbnails.
    """

    def __init__(self, sync: bool = False, pool: QThreadPool | None = None) -> None:
        self.sync = sync
        self.pool = pool or QThreadPool.globalInstance()
        self.live: set[QRunnable] = set()

    def start(self, job: Job) -> None:
        if self.sync:
            job.run()
            return
        self.live.add(job)
        job.signals.finished.connect(lambda *_a, j=job: self.live.discard(j))
        self.pool.start(job)
