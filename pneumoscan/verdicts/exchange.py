"""Verdicts in and out as CSV, and onto screening results.

Import is all or nothing: every row is checked (a known verdict, a film that
can be found or a UID or hash) before one transaction writes them, so a
malformed file is a message and leaves the database as it was.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.reading.identity import instance_key
from pneumoscan.verdicts.store import VERDICTS, Verdict, VerdictError, VerdictStore

EXPORT_COLUMNS = (
    "sop_instance_uid",
    "sha256",
    "path",
    "verdict",
    "reader",
    "note",
    "recorded_at",
    "model_version",
    "ai_result",
    "ai_probability",
)
_SYNONYMS = {"no pneumonia": "normal", "negative": "normal", "positive": "pneumonia"}


def is_export(path: Path) -> bool:
    """A verdict export of ours (its header), which a new export may replace."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.readline().strip().split(",")[:4] == list(EXPORT_COLUMNS[:4])
    except (OSError, UnicodeDecodeError):
        return False


def key_of(path: Path, uid: str = "") -> str:
    """The verdict key of a film: its SOP Instance UID when known, else what the file says."""
    return f"uid:{uid}" if uid else instance_key(path)


def export_csv(store: VerdictStore, out: str | os.PathLike) -> int:
    """The current verdict of every film (latest per key); returns how many rows."""
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, EXPORT_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    latest = store.latest()
    for v in sorted(latest.values(), key=lambda v: (v.recorded_at, v.key)):
        kind, _, value = v.key.partition(":")
        w.writerow(
            {
                "sop_instance_uid": value if kind == "uid" else "",
                "sha256": value if kind == "sha256" else "",
                "path": v.path,
                "verdict": v.verdict,
                "reader": v.reader,
                "note": v.note,
                "recorded_at": v.recorded_at,
                "model_version": v.model_version,
                "ai_result": v.ai_result,
                "ai_probability": "" if v.ai_probability is None else f"{v.ai_probability:.6f}",
            }
        )
    atomic_write_text(out, buf.getvalue(), encoding="utf-8-sig")
    return len(latest)


def read_import(path: str | os.PathLike, reader: str = "") -> list[Verdict]:
    """Rows of an import file as verdicts; ``VerdictError`` naming every bad row, before any write."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
            fields = {f.strip().lower() for f in (rows[0].keys() if rows else [])}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise VerdictError(f"{path} cannot be read as CSV ({exc})") from exc
    if not rows:
        raise VerdictError(f"{path} has no rows")
    if "verdict" not in fields or not fields & {"path", "sop_instance_uid", "sha256"}:
        raise VerdictError(
            f"{path} needs a 'verdict' column and a 'path', 'sop_instance_uid' or 'sha256' column"
        )
    out, problems = [], []
    for n, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        verdict = _SYNONYMS.get(row.get("verdict", "").lower(), row.get("verdict", "").lower())
        if verdict not in VERDICTS:
            problems.append(
                f"line {n}: verdict {row.get('verdict', '')!r} is not pneumonia, normal or unsure"
            )
            continue
        key, where = _key_of_row(row, path.parent)
        if not key:
            problems.append(f"line {n}: {where}")
            continue
        out.append(
            Verdict(
                key, verdict, path=where, note=row.get("note", ""), reader=row.get("reader", "") or reader
            )
        )
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise VerdictError(f"nothing imported from {path.name}: {shown}")
    return out


def _key_of_row(row: dict[str, str], base: Path) -> tuple[str, str]:
    if row.get("sop_instance_uid"):
        return f"uid:{row['sop_instance_uid']}", row.get("path", "")
    if row.get("sha256"):
        return f"sha256:{row['sha256'].lower()}", row.get("path", "")
    film = Path(row.get("path", ""))
    film = film if film.is_absolute() else base / film
    if not film.is_file():
        return "", f"film {row.get('path', '')!r} not found (give its SOP Instance UID or SHA-256 instead)"
    key = instance_key(film)
    return (key, str(film)) if key.startswith(("uid:", "sha256:")) else ("", f"{film} cannot be read")


def import_csv(store: VerdictStore, path: str | os.PathLike, reader: str = "") -> int:
    return store.record(read_import(path, reader))


def attach(results: Sequence, store: VerdictStore | None = None, latest: dict | None = None) -> int:
    """Set ``reader_verdict`` on results whose film has a verdict; returns how many.

    ``latest`` (``store.latest()`` read once) spares a stream of results a read per film."""
    latest = store.latest() if latest is None else latest
    if not latest:
        return 0
    hashed = any(k.startswith("sha256:") for k in latest)
    n = 0
    for r in results:
        uid = str(r.meta.get("SOPInstanceUID", "") or "")
        key = f"uid:{uid}" if uid else (instance_key(Path(r.path)) if hashed else "")
        v = latest.get(key)
        if v is not None:
            r.reader_verdict = v.verdict
            n += 1
    return n
