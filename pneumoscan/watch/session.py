"""A watched folder: new films are screened as they arrive, once each, into one report.

The loop is deliberately plain: file-system events (watchdog; a polling
observer for network shares where events do not arrive) only *offer* paths;
a periodic rescan catches anything an observer missed; the ``Settler`` waits
until a file is whole; the ``WatchState`` keeps each instance from being
screened twice, also across restarts, and is never wrong about "done": a film
is done only once it was assessed or definitively refused (an error row is
screened again when the file changes), and a film whose content changed under
the same SOP Instance UID is screened again with a note. One lock per report
keeps a second watch off it. Everything is compared by resolved path, and our
own outputs are also recognised by content, so a watch never screens them.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.outputs.csv_report import read_report, render_rows, row_for
from pneumoscan.outputs.guard import (
    OutputError,
    check_targets,
    folder_target,
    json_target,
    pdf_target,
    report_target,
    resolved,
)
from pneumoscan.outputs.publish import (
    ModelInfo,
    Published,
    PublishOptions,
    publish,
    publish_dicom,
    publish_pdf,
)
from pneumoscan.reading.discovery import discover, is_skipped_name
from pneumoscan.reading.identity import content_digest, instance_key
from pneumoscan.reading.own import is_own_output
from pneumoscan.results import ScreenResult, Status
from pneumoscan.scope.batch import check_results
from pneumoscan.watch.arrival import Settler
from pneumoscan.watch.observer import start_observer
from pneumoscan.watch.options import WatchError, WatchOptions, WatchStats, lock_path_for
from pneumoscan.watch.rows import daily_pdf_path, result_from_row
from pneumoscan.watch.state import StateError, WatchState, entry, state_path_for

#: Files screened per batch before the report is rewritten (a burst of 500 is 8 writes).
CHUNK = 64
CHANGED_NOTE = (
    "Content changed since the earlier result for this instance (same SOP Instance UID): screened again."
)


class FolderWatch:
    """Owns the observer, the settler, the state, the lock and the report of one watched folder."""

    def __init__(
        self,
        folder: str | os.PathLike,
        screener,
        options: WatchOptions,
        on_results: Callable[[list[ScreenResult]], None] | None = None,
    ) -> None:
        self.folder = resolved(folder)
        if not self.folder.is_dir():
            raise WatchError(f"{folder} is not a folder")
        self.options = options = replace(
            options,
            report=resolved(options.report),
            dicom_out=resolved(options.dicom_out) if options.dicom_out else None,
            pdf=resolved(options.pdf) if options.pdf else None,
        )
        self.screener = screener
        self.on_results = on_results
        self.on_error: Callable[[str], None] | None = None  # set by ``run``; messages that are not rows
        self.notices: list[str] = []  # said once at start (a crash settled, a state rebuilt)
        self.on_check: Callable[[str], None] | None = None  # "Batch check: ..." over the day's films
        self.batch_check = ""
        self._check_outputs()
        self._lock = self._take_lock()
        try:
            self._rows = read_report(options.report) if options.report.exists() else []
            self.state = WatchState(state_path_for(options.report))
            self._settle_state()
        except (StateError, OSError, ValueError) as exc:
            self._lock.release()
            raise WatchError(str(exc)) from exc
        self.settler = Settler(options.settle, options.give_up)
        self.stats = WatchStats()
        self._events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._observer = None
        self._last_scan = -1e9
        day = time.strftime("%Y-%m-%d")
        self._today = [result_from_row(r) for r in self._rows if r.get("screened_at", "").startswith(day)]
        self._pdf_dirty, self._last_pdf = False, -1e18
        self._retry: list[tuple[ScreenResult, int]] = []  # DICOM results to write again, with their row
        self._last_retry = -1e18
        self._outside: set[Path] = set()
        self.observer_kind = ""

    # --- start-up: outputs, lock, state -----------------------------------------------------------
    def _check_outputs(self) -> None:
        o = self.options
        targets = [report_target(o.report), json_target(state_path_for(o.report), "watch state")]
        if o.pdf is not None:
            targets.append(pdf_target(daily_pdf_path(o.pdf, time.strftime("%Y-%m-%d"))))
        if o.dicom_out is not None:
            targets.append(folder_target(o.dicom_out))
        # every file there counts (an output may replace none of them), but our DICOM results folder
        films = discover([self.folder], exclude=[o.dicom_out] if o.dicom_out else [])
        try:
            check_targets(targets, films, [self.folder])
        except OutputError as exc:
            raise WatchError(str(exc)) from exc

    def _take_lock(self):
        from filelock import FileLock, Timeout

        lock = FileLock(str(lock_path_for(self.options.report)))
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise WatchError(
                f"another watch is writing to {self.options.report}; two watches on one report would "
                "lose rows (stop the other one, or give this one its own report)"
            ) from exc
        return lock

    def _settle_state(self) -> None:
        said = self.state.reconcile(len(self._rows))
        if said:
            self.notices.append(said)
        if not self.state.existed and self._rows:
            n = self.state.rebuild(self._rows, instance_key)
            self.state.save()
            self.notices.append(f"no watch state beside the report: rebuilt from its rows ({n} instances)")

    # --- what is ours and what is new -------------------------------------------------------------
    def _ours(self, path: Path) -> bool:
        """Our report, state, lock, PDFs and DICOM results, by resolved path and by content."""
        o = self.options
        if is_skipped_name(path.name):
            return True
        if path in (o.report, state_path_for(o.report), lock_path_for(o.report)):
            return True
        if o.dicom_out is not None and (path == o.dicom_out or o.dicom_out in path.parents):
            return True
        if o.pdf is not None and path.parent == o.pdf.parent and path.name.startswith(o.pdf.stem + "-"):
            return True
        return is_own_output(path, dicom=True)

    def offer(self, path: Path) -> None:
        """Called from observer threads: only queues the path."""
        self._events.put(Path(path))

    def _drain(self, now: float) -> None:
        if now - self._last_scan >= self.options.rescan:
            self._last_scan = now
            for p in discover(
                [self.folder], exclude=[self.options.dicom_out] if self.options.dicom_out else []
            ):
                self._consider(p, now)
        while True:
            try:
                p = self._events.get_nowait()
            except queue.Empty:
                break
            self._consider(p, now)

    def _consider(self, path: Path, now: float) -> None:
        try:
            real = resolved(path)
        except (OSError, ValueError):
            return
        if real != self.folder and self.folder not in real.parents:
            if real not in self._outside:  # a link out of the folder: not ours to screen
                self._outside.add(real)
                self._say(f"{path} links outside the watched folder; not screened")
            return
        if not real.is_file():
            return
        try:
            st = real.stat()
        except OSError:
            return
        if self.state.known_file(real, st.st_size, st.st_mtime_ns) or self._ours(real):
            return
        self.settler.offer(real, now)

    def _say(self, message: str) -> None:
        if self.on_error is not None:
            self.on_error(message)

    # --- observer ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start native events (or polling); an observer that cannot start falls back to polling."""
        self._observer, self.observer_kind = start_observer(self.folder, self.offer, self.options.poll)

    def close(self) -> None:
        """Stop the observer, write the day's PDF if it is behind, release the report's lock."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        try:
            if self._pdf_dirty:
                self._maybe_pdf(force=True)
        finally:
            self._lock.release()

    @property
    def unwritten(self) -> int:
        """DICOM results still waiting to be written, plus a day's PDF that is behind."""
        return len(self._retry) + int(self._pdf_dirty)

    # --- one step ---------------------------------------------------------------------------------
    def step(self, cancel: threading.Event | None = None, now: float | None = None) -> list[ScreenResult]:
        """Screen what is ready now; returns the new results (empty when nothing was ready)."""
        now = time.monotonic() if now is None else now
        self._drain(now)
        fresh: list[tuple[Path, str, str, int, int, str]] = []
        seen_now: set[str] = set()
        for path in self.settler.ready(now):
            try:
                st = path.stat()
            except OSError:
                continue
            digest = content_digest(path)
            key = instance_key(path, digest)
            before = self.state.keys.get(key)
            note = ""
            same = before is not None and before.get("sha256", digest) == digest
            if key in seen_now or (same and Path(before["path"]).exists()):
                self.stats.duplicates += 1
                self.state.seen_file(path, st.st_size, st.st_mtime_ns)
                continue
            if same:  # screened under a name that is gone (written as a temporary name, then renamed)
                note = f"Same film as {Path(before['path']).name}, which is gone (renamed): screened under this name."
            elif before is not None:
                note = CHANGED_NOTE
            seen_now.add(key)
            fresh.append((path, key, digest, st.st_size, st.st_mtime_ns, note))
        done: list[ScreenResult] = []
        for i in range(0, len(fresh), CHUNK):
            if cancel is not None and cancel.is_set():
                break
            chunk = fresh[i : i + CHUNK]
            results = list(self.screener.screen([c[0] for c in chunk], cancel=cancel, thumbnails=True))
            info = {c[0]: c[1:] for c in chunk}
            for r in results:
                if info[Path(r.path)][-1]:
                    r.notes.append(info[Path(r.path)][-1])
            self._finish(results, info)
            done.extend(results)
        self._retry_outputs(now)
        self._maybe_pdf(now=now)
        return done

    def _finish(self, results: list[ScreenResult], info: dict[Path, tuple]) -> None:
        o = self.options
        done, files = {}, {}
        for r in results:
            key, digest, size, mtime, _note = info[Path(r.path)]
            files[str(r.path)] = [size, mtime]
            if r.status != Status.ERROR:  # an error is not "done": the file is screened again when it changes
                done[key] = entry(Path(r.path), digest)
        first_row = len(self._rows)
        # DICOM results, then state (pending) -> report -> state (commit): see state.py for why no
        # crash point duplicates a row; the day's PDF follows on its own schedule (_maybe_pdf)
        try:
            out = publish(
                results,
                PublishOptions(report=o.report, dicom_out=o.dicom_out, no_phi=o.no_phi),
                ModelInfo.of(self.screener),
                earlier_rows=self._rows,
                before_report=lambda rows: self.state.begin(done, files, len(rows)),
            )
        except BaseException:
            self.state.abort()  # nothing marked: the files are screened again on a later step
            raise
        self._rows = out.rows
        self.state.commit()
        self._retry.extend((r, first_row + results.index(r)) for r in out.dicom_failed)
        self._today.extend(results)
        self._pdf_dirty = self._pdf_dirty or o.pdf is not None
        self.stats.screened += len(results)
        self.stats.flagged += sum(r.flagged for r in results)
        if out.dicom_failed:
            self._say(
                f"{len(out.dicom_failed)} DICOM result(s) not written; retried every {o.retry_interval:.0f} s"
            )
        self.batch_check = check_results(self._today, self.screener.batch_reference).line
        if self.on_check is not None:
            self.on_check(self.batch_check)
        if self.on_results is not None:
            self.on_results(results)

    def _retry_outputs(self, now: float) -> None:
        """DICOM results that failed (a full disk) are written again; their row's note is updated."""
        if not self._retry or now - self._last_retry < self.options.retry_interval:
            return
        self._last_retry = now
        o, model, still = self.options, ModelInfo.of(self.screener), []
        for r, index in self._retry:
            out = Published()
            publish_dicom([r], o.dicom_out, model, o.no_phi, out)
            if out.dicom_failed:
                r.notes.pop()  # the same failure again: one note is enough
                still.append((r, index))
                continue
            kept = [n for n in r.notes if not n.startswith("DICOM result not written")]
            r.notes[:] = kept[:-1] + [f"{kept[-1]} (written on a retry)"]
            self._rows[index]["notes"] = row_for(r, o.no_phi)["notes"]
        if len(still) < len(self._retry):
            atomic_write_text(o.report, render_rows(self._rows, o.no_phi), encoding="utf-8-sig")
            self._say(f"{len(self._retry) - len(still)} DICOM result(s) written on a retry")
        self._retry = still

    def _maybe_pdf(self, now: float = 0.0, force: bool = False) -> None:
        """The day's PDF, rebuilt at most every ``pdf_interval`` seconds (a 1,000-film day costs
        one rebuild per interval, not one per batch) and when the watch stops."""
        o = self.options
        if o.pdf is None or not self._pdf_dirty:
            return
        if not force and now - self._last_pdf < o.pdf_interval:
            return
        self._last_pdf = now
        try:
            self._write_pdf()
        except OSError as exc:  # rebuilt on a later step; screening goes on
            self._say(f"PDF summary not written ({exc.strerror or exc})")
            return
        self._pdf_dirty = False

    def _write_pdf(self) -> None:
        day = time.strftime("%Y-%m-%d")
        self._today = [r for r in self._today if r.screened_at.startswith(day)]
        publish_pdf(
            self._today,
            daily_pdf_path(self.options.pdf, day),
            ModelInfo.of(self.screener),
            self.options.no_phi,
            f"PneumoScan watched folder, {day}",
            check_results(self._today, self.screener.batch_reference).line,
        )

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


__all__ = ["FolderWatch"]
