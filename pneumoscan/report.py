"""The CSV report shared by the CLI and the GUI.

Excel-friendly (UTF-8 with BOM), safe against formula injection from DICOM
tags or file names, and written atomically so a crash or Ctrl-C never leaves
half a report where the last good one was.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .results import ScreenResult

PHI_COLUMNS = ("patient_name", "patient_id", "patient_age", "patient_sex", "accession_number")
COLUMNS = (
    "path",
    "status",
    "reason",
    "probability",
    "result",
    "threshold",
    "operating_point",
    "model_version",
    "width",
    "height",
    "source_kind",
    "transfer_syntax",
    "patient_id",
    "patient_name",
    "patient_age",
    "patient_sex",
    "study_date",
    "accession_number",
    "study_instance_uid",
    "sop_instance_uid",
    "modality",
    "body_part",
    "view_position",
    "notes",
    "scope_gate",
    "scope_class",
    "scope_score",
    "scope_distance",
    "subtype",
    "viral_probability",
    "screened_at",
)
_TAG_COLUMNS = {
    "patient_id": "PatientID",
    "patient_name": "PatientName",
    "patient_age": "PatientAge",
    "patient_sex": "PatientSex",
    "study_date": "StudyDate",
    "accession_number": "AccessionNumber",
    "study_instance_uid": "StudyInstanceUID",
    "sop_instance_uid": "SOPInstanceUID",
    "modality": "Modality",
    "body_part": "BodyPartExamined",
    "view_position": "ViewPosition",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def printable(text: str) -> str:
    """Text that UTF-8 can hold: bytes of a non-UTF-8 file name are written as ``\\xNN``.

    Python keeps such bytes as lone surrogates (PEP 383); writing them would raise,
    and dropping them would change the name. ``M\\xfcller.jpg`` in the report is
    the Latin-1 file name ``Müller.jpg``, byte for byte.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


def defuse(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP CSV injection)."""
    if text and (text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START[:4])):
        return "'" + text
    return text


_NUMERIC = (
    "probability",
    "threshold",
    "width",
    "height",
    "scope_score",
    "scope_distance",
    "viral_probability",
)


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def columns(no_phi: bool = False) -> list[str]:
    return [c for c in COLUMNS if not (no_phi and c in PHI_COLUMNS)]


def row_for(result: ScreenResult, no_phi: bool = False) -> dict[str, str]:
    """Every cell as text; numbers formatted, text defused."""
    meta = result.meta
    prob = "" if result.probability is None else f"{result.probability:.6f}"
    thr = "" if result.threshold is None or not result.ok else f"{result.threshold:.6f}"
    row = {
        "path": str(result.path),
        "status": result.status,
        "reason": result.reason,
        "probability": prob,
        "result": result.result,
        "threshold": thr,
        "operating_point": result.operating_point if result.ok else "",
        "model_version": result.model_version,
        "width": str(meta.get("width", "")),
        "height": str(meta.get("height", "")),
        "source_kind": str(meta.get("source_kind", "")),
        "transfer_syntax": str(meta.get("transfer_syntax", "")),
        "notes": " | ".join(result.notes),
        "scope_gate": "on" if result.scope_gate else "off",
        "scope_class": result.scope_class,
        "scope_score": _num(result.scope_in_score, 4),
        "scope_distance": _num(result.scope_distance, 2),
        "subtype": result.subtype,
        "viral_probability": _num(result.viral_probability, 4) if result.subtype else "",
        "screened_at": result.screened_at,
    }
    for col, tag in _TAG_COLUMNS.items():
        row[col] = str(meta.get(tag, ""))
    keep = columns(no_phi)
    return {k: (v if k in _NUMERIC else defuse(printable(v))) for k, v in row.items() if k in keep}


def render(results: Iterable[ScreenResult], no_phi: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(no_phi), lineterminator="\r\n")
    writer.writeheader()
    for r in results:
        writer.writerow(row_for(r, no_phi))
    return buf.getvalue()


def render_rows(rows: Iterable[dict[str, str]], no_phi: bool = False) -> str:
    """Rows already formatted by ``row_for`` (or read back from a report), as report text."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(no_phi), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def write_report(path: str | os.PathLike, results: Iterable[ScreenResult], no_phi: bool = False) -> Path:
    """Write atomically: a temporary file beside the target, fsync, then rename."""
    return atomic_write_text(path, render(results, no_phi), encoding="utf-8-sig")


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Temporary file beside the target, fsync, rename: a crash never leaves half a file."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """The one atomic write (reports, PDFs, DICOM results): a reader or a watcher on the folder
    never sees half a file; an existing file's permissions are kept."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        mode = _mode_for(target)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _mode_for(target: Path) -> int:
    """Keep an existing report's permissions; a new one gets the usual 0666 minus the umask."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask without changing it (``os.umask`` would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def read_report(path: str | os.PathLike) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
