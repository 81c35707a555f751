"""Reader verdicts in a local SQLite database: appended, never overwritten (an audit trail).

Every film is read by a clinician anyway; their reads are the site's labels.
A verdict is keyed like a watched film: ``uid:<SOP Instance UID>`` for DICOM,
``sha256:<content hash>`` otherwise, so it follows the film, not its name. A
change of mind is a new row; the latest row per key is the verdict. Triggers
refuse UPDATE and DELETE, and each import is one transaction: a crash leaves
the database as it was before, never half an import.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

VERDICTS = ("pneumonia", "normal", "unsure")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    path TEXT NOT NULL DEFAULT '',
    verdict TEXT NOT NULL CHECK (verdict IN ('pneumonia', 'normal', 'unsure')),
    note TEXT NOT NULL DEFAULT '',
    reader TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    model_version TEXT NOT NULL DEFAULT '',
    model_sha256 TEXT NOT NULL DEFAULT '',
    ai_result TEXT NOT NULL DEFAULT '',
    ai_probability REAL
);
CREATE INDEX IF NOT EXISTS verdicts_key ON verdicts (key, id);
CREATE TRIGGER IF NOT EXISTS verdicts_no_update BEFORE UPDATE ON verdicts
    BEGIN SELECT RAISE(ABORT, 'verdicts are appended, never changed'); END;
CREATE TRIGGER IF NOT EXISTS verdicts_no_delete BEFORE DELETE ON verdicts
    BEGIN SELECT RAISE(ABORT, 'verdicts are appended, never deleted'); END;
"""


class VerdictError(ValueError):
    """A verdict that cannot be recorded or read; the message says why."""


@dataclass(frozen=True)
class Verdict:
    key: str
    verdict: str
    path: str = ""
    note: str = ""
    reader: str = ""
    recorded_at: str = ""
    model_version: str = ""
    model_sha256: str = ""
    ai_result: str = ""
    ai_probability: float | None = None

    @property
    def label(self) -> int | None:
        """1 pneumonia, 0 normal, None unsure (left out of validation)."""
        return {"pneumonia": 1, "normal": 0}.get(self.verdict)


def default_path() -> Path:
    """``$PNEUMOSCAN_DATA_DIR/verdicts.sqlite3``, else the user's data folder (platformdirs)."""
    base = os.environ.get("PNEUMOSCAN_DATA_DIR")
    if not base:
        from platformdirs import user_data_dir

        base = user_data_dir("PneumoScan", appauthor=False)
    return Path(base) / "verdicts.sqlite3"


_FIELDS = (
    "key",
    "path",
    "verdict",
    "note",
    "reader",
    "recorded_at",
    "model_version",
    "model_sha256",
    "ai_result",
    "ai_probability",
)


class VerdictStore:
    """One database file; opened per use so the workstation and the CLI can share it."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
        return db

    def record(self, verdicts: Sequence[Verdict]) -> int:
        """Append verdicts in one transaction (all or none); returns how many."""
        rows = []
        for v in verdicts:
            if v.verdict not in VERDICTS:
                raise VerdictError(f"unknown verdict {v.verdict!r}: use pneumonia, normal or unsure")
            if not v.key.startswith(("uid:", "sha256:")):
                raise VerdictError(f"a verdict needs a SOP Instance UID or a content hash, not {v.key!r}")
            stamp = v.recorded_at or datetime.now().isoformat(timespec="seconds")
            rows.append((*[getattr(v, f) for f in _FIELDS[:5]], stamp, *[getattr(v, f) for f in _FIELDS[6:]]))
        db = self._connect()
        try:
            with db:  # one transaction: a crash or an error leaves nothing of this call
                db.executemany(
                    f"INSERT INTO verdicts ({', '.join(_FIELDS)}) VALUES ({', '.join('?' * len(_FIELDS))})",
                    rows,
                )
        finally:
            db.close()
        return len(rows)

    def latest(self, keys: Iterable[str] | None = None) -> dict[str, Verdict]:
        """The current verdict per key (the latest row), for ``keys`` or for every key."""
        db = self._connect()
        try:
            query = (
                f"SELECT {', '.join(_FIELDS)} FROM verdicts v WHERE id = "
                "(SELECT MAX(id) FROM verdicts w WHERE w.key = v.key)"
            )
            found = {row[0]: Verdict(**dict(zip(_FIELDS, row))) for row in db.execute(query)}
        finally:
            db.close()
        if keys is None:
            return found
        return {k: found[k] for k in keys if k in found}

    def history(self, key: str) -> list[Verdict]:
        db = self._connect()
        try:
            rows = db.execute(f"SELECT {', '.join(_FIELDS)} FROM verdicts WHERE key = ? ORDER BY id", (key,))
            return [Verdict(**dict(zip(_FIELDS, r))) for r in rows]
        finally:
            db.close()
