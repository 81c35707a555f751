"""The CSV report shared by the CLI and the GUI.

Excel-friendly (UTF-8 with BOM), safe against formula injection from DICOM
tags or file names, and written atomically so a crash or Ctrl-C never leaves
half a report where the last good one was.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.outputs.dicom.wording import site_status
from pneumoscan.reading.tags import REPORT_TAG_COLUMNS
from pneumoscan.results import ScreenResult

#: Left out with ``--no-phi``: who the patient is, when the study was, and the free-text body part
#: (sites type names into it). Kept: UIDs (the PACS needs them), modality and view (coded values).
PHI_COLUMNS = (
    "patient_name",
    "patient_id",
    "patient_age",
    "patient_sex",
    "accession_number",
    "study_date",
    "body_part",
)
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
    "reader_verdict",
    "site_status",
)
_TAG_COLUMNS = REPORT_TAG_COLUMNS
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
        "reader_verdict": result.reader_verdict,
        "site_status": site_status(result.operating_point) if result.ok else "",
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


def read_report(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of a report, also after a spreadsheet re-saved it (no BOM, ``;`` or tab, an index column)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
        fh.seek(0)
        delimiter = max((",", ";", "\t"), key=first.count)
        rows = list(csv.DictReader(fh, delimiter=delimiter))
    return [{k.strip(): v for k, v in row.items() if k is not None} for row in rows]
