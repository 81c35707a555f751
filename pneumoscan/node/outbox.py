"""The persistent send queue: result files wait in ``outbox/`` until the PACS has them.

The queue *is* the folder: a result is written there atomically by the screening, and leaves it
only after delivery (a copy into ``--dicom-out``, a C-STORE answered Success by ``--send-to``).
Every attempt and outcome is one line of ``delivery.log`` (fsynced), and "sent" lines are read
back at start: a file whose send succeeded just before a crash is removed, not sent again. The
results' UIDs derive from the source and the model, so even the one remaining window (killed
between the PACS's Success and the log line) makes the PACS replace, not duplicate. Failures
back off (5 s doubling to 5 min), across restarts, until the PACS takes the file.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pneumoscan.node.config import Peer
from pneumoscan.node.sender import SendError, Sent, send_files

FIRST_DELAY, MAX_DELAY = 5.0, 300.0
ROUND = 64  # files per association


@dataclass
class OutboxStatus:
    waiting: int
    sent: int
    failed_attempts: int
    last_error: str
    next_attempt_in: float  # seconds; 0 when a round may start now


class Outbox:
    def __init__(
        self,
        folder: Path,
        log_path: Path,
        peer: Peer | None,
        copy_to: Path | None,
        calling_aet: str,
        on_event=None,
    ) -> None:
        self.folder, self.log_path, self.peer, self.copy_to = folder, log_path, peer, copy_to
        self.calling_aet = calling_aet
        self.on_event = on_event or (lambda message: None)
        self._lock = threading.Lock()
        self._delay = 0.0
        self._next = 0.0
        self.sent = 0
        self.failed_attempts = 0
        self.last_error = ""
        self._done = self._read_log()

    # --- the log ----------------------------------------------------------------------------------
    def _read_log(self) -> set[str]:
        done = set()
        try:
            with open(self.log_path, encoding="utf-8") as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) >= 3 and parts[2] == "delivered":
                        done.add(parts[1])
        except FileNotFoundError:
            pass
        return done

    def _log(self, name: str, outcome: str, detail: str = "") -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp}\t{name}\t{outcome}\t{detail}\n")
            fh.flush()
            os.fsync(fh.fileno())

    # --- the queue --------------------------------------------------------------------------------
    def waiting(self) -> list[Path]:
        # results only (named <SOP Instance UID>.dcm): anything else put here is never sent
        files = [p for p in self.folder.glob("*.dcm") if p.is_file() and not p.name.startswith(".")]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def status(self, now: float | None = None) -> OutboxStatus:
        now = time.monotonic() if now is None else now
        return OutboxStatus(
            len(self.waiting()), self.sent, self.failed_attempts, self.last_error, max(0.0, self._next - now)
        )

    def retry_now(self) -> None:
        self._next = 0.0

    def deliver(self, now: float | None = None) -> int:
        """One round if its time has come; returns the number of files delivered."""
        now = time.monotonic() if now is None else now
        if now < self._next:
            return 0
        with self._lock:
            return self._round(now)

    def _round(self, now: float) -> int:
        files = self.waiting()
        for p in [p for p in files if p.name in self._done]:  # delivered just before a crash
            p.unlink(missing_ok=True)
        files = [p for p in files if p.name not in self._done][:ROUND]
        if not files:
            return 0
        copy_failed = False
        if self.copy_to is not None:
            copied = [p for p in files if self._copy(p)]
            copy_failed, files = len(copied) < len(files), copied
        results: list[Sent] = []
        if self.peer is not None and files:
            try:
                results = send_files(self.peer, files, self.calling_aet)
            except SendError as exc:
                self._fail(now, str(exc), files)
                return 0
        else:
            results = [Sent(p, True, "copied") for p in files]
        delivered = 0
        for r in results:
            if r.ok:
                self._log(r.path.name, "delivered", r.detail)  # before the unlink: never sent twice
                self._done.add(r.path.name)
                r.path.unlink(missing_ok=True)
                delivered += 1
            else:
                self._log(r.path.name, "failed", r.detail)
        failed = [r for r in results if not r.ok]
        self.sent += delivered
        if failed:
            self._fail(now, f"{len(failed)} refused by {self.peer}: {failed[0].detail}", [])
        elif copy_failed:
            self._fail(now, self.last_error, [])
        else:
            self._delay, self._next = 0.0, 0.0
            if delivered:
                self.on_event(
                    f"{delivered} result file(s) delivered" + (f" to {self.peer}" if self.peer else "")
                )
        return delivered

    def _copy(self, path: Path) -> bool:
        from pneumoscan.outputs.atomic import atomic_write_bytes

        target = self.copy_to / path.name
        try:
            if not (target.exists() and target.stat().st_size == path.stat().st_size):
                atomic_write_bytes(target, path.read_bytes())
            return True
        except OSError as exc:
            self._log(path.name, "failed", f"copy to {self.copy_to}: {exc.strerror or exc}")
            self.last_error = f"copy to {self.copy_to} failed ({exc.strerror or exc})"
            return False

    def _fail(self, now: float, message: str, files: list[Path]) -> None:
        for p in files:
            self._log(p.name, "failed", message)
        self.failed_attempts += 1
        self._delay = min(MAX_DELAY, max(FIRST_DELAY, self._delay * 2))
        self._next = now + self._delay
        self.last_error = message
        self.on_event(f"send failed: {message}; next attempt in {self._delay:.0f} s")
