"""A watched folder: new films are screened as they arrive, once each, into one report.

The loop is deliberately plain: file-system events (watchdog; a polling
observer for network shares where events do not arrive) only *offer* paths;
a periodic rescan catches anything an observer missed; the ``Settler`` waits
until a file is whole; the ``WatchState`` keeps each instance from being
screened twice, also across restarts. After each batch the report is
rewritten atomically, DICOM results are written, the day's PDF is refreshed,
then the state is saved: a crash in between screens a film again rather than
losing it.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..discovery import discover, is_own_report, is_skipped_name
from ..report import atomic_write_text, read_report, render_rows, row_for
from ..results import ScreenResult
from .arrival import Settler
from .identity import instance_key
from .state import WatchState, state_path_for

#: Files screened per batch before the report is rewritten (a burst of 500 is 8 writes).
CHUNK = 64


@dataclass
class WatchOptions:
    report: Path
    dicom_out: Path | None = None
    pdf: Path | None = None  # "summary.pdf" -> summary-YYYY-MM-DD.pdf, one per day
    no_phi: bool = False
    poll: bool = False  # polling observer (network shares), instead of native events
    settle: float = 2.0
    give_up: float = 120.0
    rescan: float = 30.0  # full rescan interval, a safety net for missed events


@dataclass
class WatchStats:
    screened: int = 0
    flagged: int = 0
    duplicates: int = 0
    started: float = field(default_factory=time.monotonic)


def result_from_row(row: dict[str, str]) -> ScreenResult:
    """A report row back as a result (no map, no thumbnail): the day's PDF after a restart."""

    def num(key: str) -> float | None:
        try:
            return float(row.get(key) or "")
        except ValueError:
            return None

    return ScreenResult(
        path=Path(row.get("path", "")),
        status=row.get("status", ""),
        reason=row.get("reason", ""),
        probability=num("probability"),
        threshold=num("threshold"),
        operating_point=row.get("operating_point", ""),
        model_version=row.get("model_version", ""),
        meta={"PatientID": row.get("patient_id", "")},
        viral_probability=num("viral_probability"),
        # reproduces the recorded call exactly (the head's threshold is not in the row)
        subtype_threshold={"viral": num("viral_probability"), "bacterial": float("inf")}.get(
            row.get("subtype", "")
        ),
        screened_at=row.get("screened_at", ""),
    )


def daily_pdf_path(pdf: Path, day: str) -> Path:
    return pdf.with_name(f"{pdf.stem}-{day}{pdf.suffix or '.pdf'}")


class FolderWatch:
    """Owns the observer, the settler, the state and the report of one watched folder."""

    def __init__(
        self,
        folder: str | os.PathLike,
        screener,
        options: WatchOptions,
        on_results: Callable[[list[ScreenResult]], None] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.screener = screener
        self.options = options
        self.on_results = on_results
        self.state = WatchState(state_path_for(options.report))
        self.settler = Settler(options.settle, options.give_up)
        self.stats = WatchStats()
        self._events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._observer = None
        self._last_scan = -1e9
        self._rows = self._existing_rows()
        day = time.strftime("%Y-%m-%d")
        self._today = [result_from_row(r) for r in self._rows if r.get("screened_at", "").startswith(day)]
        self.observer_kind = ""
        self.on_error: Callable[[str], None] | None = None  # set by ``run``; messages that are not rows

    # --- what is ours and what is new ------------------------------------------------------------
    def _existing_rows(self) -> list[dict[str, str]]:
        report = self.options.report
        if report.exists() and is_own_report(report):
            return read_report(report)
        return []

    def _ours(self, path: Path) -> bool:
        """Our report, state, PDFs and DICOM results, which may sit in the watched folder."""
        o = self.options
        if is_skipped_name(path.name) or is_own_report(path):
            return True
        if path in (o.report, state_path_for(o.report)):
            return True
        if o.pdf is not None and path.parent == o.pdf.parent and path.name.startswith(o.pdf.stem + "-"):
            return path.suffix.lower() == ".pdf"
        return o.dicom_out is not None and o.dicom_out in path.parents

    def offer(self, path: Path) -> None:
        """Called from observer threads: only queues the path."""
        self._events.put(Path(path))

    def _drain(self, now: float) -> None:
        if now - self._last_scan >= self.options.rescan:
            self._last_scan = now
            for p in discover([self.folder]):
                self._consider(p, now)
        while True:
            try:
                p = self._events.get_nowait()
            except queue.Empty:
                break
            self._consider(p, now)

    def _consider(self, path: Path, now: float) -> None:
        path = Path(os.path.abspath(path))
        if self._ours(path) or not path.is_file():
            return
        try:
            st = path.stat()
        except OSError:
            return
        if not self.state.known_file(path, st.st_size, st.st_mtime_ns):
            self.settler.offer(path, now)

    # --- observer -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start native events (or polling); an observer that cannot start falls back to polling."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watch = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):  # noqa: D401 - watchdog's name
                if event.is_directory:
                    return
                for attr in ("dest_path", "src_path"):
                    p = getattr(event, attr, "")
                    if p:
                        watch.offer(Path(os.fsdecode(p)))

        kinds = (
            [(PollingObserver, "polling")]
            if self.options.poll
            else [(Observer, "events"), (PollingObserver, "polling")]
        )
        for cls, kind in kinds:
            try:
                observer = cls(timeout=1.0) if kind == "polling" else cls()
                observer.schedule(Handler(), str(self.folder), recursive=True)
                observer.start()
            except Exception:  # noqa: BLE001 - e.g. inotify limits reached: poll instead
                continue
            self._observer, self.observer_kind = observer, kind
            return
        raise OSError(f"cannot watch {self.folder}")

    def close(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    # --- one step -------------------------------------------------------------------------------
    def step(self, cancel: threading.Event | None = None, now: float | None = None) -> list[ScreenResult]:
        """Screen what is ready now; returns the new results (empty when nothing was ready)."""
        now = time.monotonic() if now is None else now
        self._drain(now)
        fresh: list[tuple[Path, str, int, int]] = []
        seen_now: set[str] = set()
        for path in self.settler.ready(now):
            try:
                st = path.stat()
            except OSError:
                continue
            key = instance_key(path)
            if key in self.state.keys or key in seen_now:
                self.stats.duplicates += 1
                self.state.remember(path, key, st.st_size, st.st_mtime_ns)
                continue
            seen_now.add(key)
            fresh.append((path, key, st.st_size, st.st_mtime_ns))
        done: list[ScreenResult] = []
        for i in range(0, len(fresh), CHUNK):
            if cancel is not None and cancel.is_set():
                break
            chunk = fresh[i : i + CHUNK]
            results = list(self.screener.screen([p for p, *_ in chunk], cancel=cancel, thumbnails=True))
            self._finish(results, {p: (k, s, m) for p, k, s, m in chunk})
            done.extend(results)
        return done

    def _finish(self, results: list[ScreenResult], keys: dict[Path, tuple[str, int, int]]) -> None:
        from ..dicom_results import write_dicom_results

        o, manifest = self.options, self.screener.manifest
        for r in results:
            if o.dicom_out is not None:
                note = write_dicom_results(r, o.dicom_out, manifest.version, manifest.sha256, o.no_phi).note
                r.notes.append(note)
        # the report first; if it cannot be written (a full disk) nothing is marked done, so the
        # files are screened again on a later step and appear in the report exactly once
        rows = self._rows + [row_for(r, o.no_phi) for r in results]
        atomic_write_text(o.report, render_rows(rows, o.no_phi), encoding="utf-8-sig")
        self._rows = rows
        for r in results:
            key, size, mtime = keys[Path(r.path)]
            self.state.remember(Path(r.path), key, size, mtime)
        self.state.save()
        self._today.extend(results)
        self.stats.screened += len(results)
        self.stats.flagged += sum(r.flagged for r in results)
        if self.on_results is not None:
            self.on_results(results)
        if o.pdf is not None:
            try:
                self._write_pdf()
            except OSError as exc:  # the summary is rebuilt on the next batch; screening goes on
                if self.on_error is not None:
                    self.on_error(f"PDF summary not written ({exc.strerror or exc})")

    def _write_pdf(self) -> None:
        from ..pdf_summary import SummaryInfo, write_summary

        day = time.strftime("%Y-%m-%d")
        self._today = [r for r in self._today if r.screened_at.startswith(day)]
        info = SummaryInfo(
            model_version=self.screener.manifest.version,
            model_sha256=self.screener.manifest.sha256,
            operating_point=self.screener.operating_point,
            title=f"PneumoScan watched folder, {day}",
        )
        write_summary(daily_pdf_path(self.options.pdf, day), self._today, info, self.options.no_phi)

    def run(self, stop: threading.Event, interval: float = 0.5, on_error=None) -> None:
        """Step until ``stop`` is set; the batch in hand stops after its current file.

        A step that fails (a full disk, a file that breaks something unforeseen) is
        reported to ``on_error`` and retried after a pause: a watch runs unattended."""
        self.on_error = on_error
        while not stop.is_set():
            try:
                busy = self.step(cancel=stop)
            except Exception as exc:  # noqa: BLE001 - keep watching; the files stay unscreened and are retried
                if on_error is not None:
                    on_error(f"{type(exc).__name__}: {exc}")
                busy = []
                stop.wait(max(interval, 5.0))
            if not busy:
                stop.wait(interval)
