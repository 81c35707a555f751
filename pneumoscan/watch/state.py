"""What a watch has already screened, kept beside the report so a restart screens nothing twice.

The report and the state are two files, so no single rename can update both.
Each batch is therefore written in three steps: the state records the batch as
*pending* (its keys and the report's row count once it is in), the report is
replaced, then the state commits the batch. A crash after the report and
before the commit is settled at the next start by counting the report's rows:
the batch is in the report (commit it) or it is not (drop it, screen again).
No crash point duplicates or loses a row.

A state that is missing while the report has rows is rebuilt from the report
(SOP Instance UIDs, or the content hash of files still there), so moving a
broken state away never screens the whole folder again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.results import Status

VERSION = 2
_READABLE = (1, 2)


def state_path_for(report: Path) -> Path:
    return report.with_name(report.name + ".watch-state.json")


class StateError(ValueError):
    """The state file cannot be used; the message says what to do."""


def _entry(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise StateError("a key's entry is not an object of texts")
    return dict(value)


def _stat(value: Any) -> list[int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise StateError(f"a file's entry must be [size, mtime_ns], not {value!r}")
    return list(value)


class WatchState:
    """Instance keys screened (with where, when and the content hash) and a stat cache."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keys: dict[str, dict[str, str]] = {}
        self.files: dict[str, list[int]] = {}  # path -> [size, mtime_ns] of files already handled
        self.pending: dict[str, Any] | None = None
        self.existed = path.exists()
        if self.existed:
            self._load()

    def _load(self) -> None:
        hint = f"watch state {self.path} is unusable"
        advice = "move it away: it is rebuilt from the report"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StateError(f"{hint} ({exc}); {advice}") from exc
        if not isinstance(data, dict):
            raise StateError(f"{hint} (not a JSON object); {advice}")
        if data.get("version") not in _READABLE:
            raise StateError(
                f"{hint}: version {data.get('version')!r} is not one this PneumoScan reads "
                f"({', '.join(map(str, _READABLE))}); {advice}"
            )
        try:
            keys, files = data.get("keys", {}), data.get("files", {})
            if not isinstance(keys, dict) or not isinstance(files, dict):
                raise StateError("'keys' and 'files' must be objects")
            self.keys = {str(k): _entry(v) for k, v in keys.items()}
            self.files = {str(k): _stat(v) for k, v in files.items()}
            pending = data.get("pending")
            if pending is not None:
                if not isinstance(pending, dict) or not isinstance(pending.get("rows_after"), int):
                    raise StateError("'pending' must hold 'rows_after'")
                self.pending = {
                    "rows_after": pending["rows_after"],
                    "keys": {str(k): _entry(v) for k, v in dict(pending.get("keys", {})).items()},
                    "files": {str(k): _stat(v) for k, v in dict(pending.get("files", {})).items()},
                }
        except StateError as exc:
            raise StateError(f"{hint} ({exc}); {advice}") from exc

    # --- settle what a crash left -----------------------------------------------------------------
    def reconcile(self, report_rows: int) -> str:
        """After a crash between the report and the state: commit or drop the pending batch."""
        if self.pending is None:
            return ""
        if report_rows >= self.pending["rows_after"]:
            self._commit()
            self.save()
            return "the last batch before the stop was in the report: kept"
        self.pending = None
        self.save()
        return "the last batch before the stop never reached the report: those films are screened again"

    def rebuild(self, rows: list[dict[str, str]], key_of_path) -> int:
        """Keys from a report's rows (no state file): UIDs, else the hash of files still there."""
        for row in rows:
            if row.get("status") == Status.ERROR:
                continue  # an error is never "done": screened again
            uid = (row.get("sop_instance_uid") or "").lstrip("'").strip()
            path = row.get("path", "")
            key = f"uid:{uid}" if uid else key_of_path(Path(path))
            if key and not key.startswith("path:"):
                self.keys.setdefault(key, {"path": path, "time": row.get("screened_at", "")})
        return len(self.keys)

    # --- the three steps of a batch ---------------------------------------------------------------
    def known_file(self, path: Path, size: int, mtime_ns: int) -> bool:
        return self.files.get(str(path)) == [size, mtime_ns]

    def seen_file(self, path: Path, size: int, mtime_ns: int) -> None:
        """A file handled without being done (an error row, a duplicate): not offered again unchanged."""
        self.files[str(path)] = [size, mtime_ns]

    def begin(self, done: dict[str, dict[str, str]], files: dict[str, list[int]], rows_after: int) -> None:
        self.pending = {"keys": done, "files": files, "rows_after": rows_after}
        self.save()

    def commit(self) -> None:
        self._commit()
        self.save()

    def abort(self) -> None:
        self.pending = None

    def _commit(self) -> None:
        if self.pending is None:
            return
        self.keys.update(self.pending["keys"])
        self.files.update(self.pending["files"])
        self.pending = None

    def remember(self, path: Path, key: str, size: int, mtime_ns: int, digest: str = "") -> None:
        self.files[str(path)] = [size, mtime_ns]
        self.keys[key] = entry(path, digest)

    def save(self) -> None:
        data: dict[str, Any] = {"version": VERSION, "keys": self.keys, "files": self.files}
        if self.pending is not None:
            data["pending"] = self.pending
        atomic_write_text(self.path, json.dumps(data))


def entry(path: Path, digest: str = "") -> dict[str, str]:
    out = {"path": str(path), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if digest:
        out["sha256"] = digest
    return out
