"""Background work for the GUI: screening, full-image loading, thumbnails, CSV export.

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
from pneumoscan.reading.discovery import discover
from pneumoscan.reading.loader import load_image
from pneumoscan.results import ScreenResult
from pneumoscan.screener import Screener, lower_thread_priority, make_thumbnail


class ScreenSignals(QObject):
    started = Signal(int)  # total files
    results = Signal(list)  # a chunk of ScreenResult, in input order
    progress = Signal(int, int, float, float)  # done, total, images/s, seconds left
    finished = Signal(bool)  # True when cancelled
    failed = Signal(str)


class ScreenWorker(QRunnable):
    """Discovers files under ``paths`` and screens them, streaming results in chunks.

    Results are grouped for up to 100 ms so a fast model does not flood the
    GUI thread with one signal per image.
    """

    def __init__(self, screener: Screener, paths: Sequence[str | Path], chunk_seconds: float = 0.1) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.screener, self.paths, self.chunk_seconds = screener, list(paths), chunk_seconds
        self.signals = ScreenSignals()
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        if self.screener.background:
            lower_thread_priority()
        try:
            files = discover(self.paths)
            total = len(files)
            self.signals.started.emit(total)
            start = last = time.monotonic()
            pending: list[ScreenResult] = []
            done = 0
            for result in self.screener.screen(files, cancel=self.cancel_event, thumbnails=True):
                pending.append(result)
                done += 1
                now = time.monotonic()
                if now - last >= self.chunk_seconds or done == total or done == 1:
                    self._flush(pending, done, total, now - start)
                    pending, last = [], now
            if pending:
                self._flush(pending, done, total, time.monotonic() - start)
            self.signals.finished.emit(self.cancel_event.is_set() and done < total)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - reported to the user, never raised into Qt
            self.signals.failed.emit(f"Screening stopped: {exc}")
            self.signals.finished.emit(True)

    def _flush(self, pending: list[ScreenResult], done: int, total: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        self.signals.results.emit(list(pending))
        self.signals.progress.emit(done, total, rate, left)


class TaskSignals(QObject):
    done = Signal(object, object)  # key, value
    failed = Signal(object, str)


class CallTask(QRunnable):
    """Runs ``fn()`` off the GUI thread and emits its value (or the error text)."""

    def __init__(self, key: object, fn: Callable[[], object]) -> None:
        super().__init__()
        self.key, self.fn = key, fn
        self.signals = TaskSignals()

    def run(self) -> None:
        try:
            value = self.fn()
        except LoadError as exc:
            self.signals.failed.emit(self.key, exc.reason)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - decoder panics derive from BaseException
            self.signals.failed.emit(self.key, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(self.key, value)


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

    def start(self, task: QRunnable) -> None:
        if self.sync:
            task.run()
            return
        if isinstance(task, CallTask):
            task.setAutoDelete(False)
            self.live.add(task)
            task.signals.done.connect(lambda *_a, t=task: self.live.discard(t))
            task.signals.failed.connect(lambda *_a, t=task: self.live.discard(t))
        self.pool.start(task)
