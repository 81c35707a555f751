"""PneumoScan's own outputs, recognised by their content.

A report, PDF or DICOM result may sit inside a folder that is screened or
watched, reached through ``..`` or a symbolic link, or be re-saved by a
spreadsheet. Comparing names is not enough: these checks read the file, so
our outputs are never screened as films and an output path may replace only
a file that PneumoScan wrote.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pneumoscan.reading.sniff import sniff_dicom

#: Columns every PneumoScan report has had (a re-saved report keeps them, whatever its encoding).
REPORT_COLUMNS = frozenset({"path", "status", "reason", "probability", "result", "model_version"})
#: Written by PneumoScan into every DICOM result (SC 9901, SR 9902).
MANUFACTURER = "PneumoScan"
RESULT_SERIES = (9901, 9902)
#: First line of the validation HTML; the JSON twin carries ``"generator"``.
HTML_MARK = "<!-- PneumoScan site validation report -->"
JSON_GENERATOR = "PneumoScan site validation"
PDF_CREATOR = b"PneumoScan"

_READ = 64 * 1024


def _head(path: Path, n: int = _READ) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def is_own_report(path: Path) -> bool:
    """Our CSV report, with or without its BOM, re-saved by Python, pandas or a spreadsheet."""
    try:
        head = _head(path, 8192)
    except OSError:
        return False
    text = head.decode("utf-8-sig", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    for delimiter in (",", ";", "\t"):
        try:
            fields = next(csv.reader(io.StringIO(first), delimiter=delimiter))
        except (StopIteration, csv.Error):
            continue
        if REPORT_COLUMNS <= {f.strip().lower() for f in fields}:
            return True
    return False


def is_own_pdf(path: Path) -> bool:
    """A PDF whose document information names PneumoScan (start or end of the file)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_READ)
            if not head.startswith(b"%PDF"):
                return False
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _READ))
            tail = fh.read()
    except OSError:
        return False
    marker = b"/Creator (" + PDF_CREATOR
    return marker in head or marker in tail


def is_own_dicom(path: Path) -> bool:
    """A DICOM result of ours: Manufacturer PneumoScan and series 9901 (SC) or 9902 (SR)."""
    try:
        head = _head(path, 132)
    except OSError:
        return False
    if not sniff_dicom(head):
        return False
    try:
        import pydicom

        ds = pydicom.dcmread(
            str(path), stop_before_pixels=True, specific_tags=["Manufacturer", "SeriesNumber"]
        )
        return (
            str(ds.get("Manufacturer", "")) == MANUFACTURER
            and int(ds.get("SeriesNumber", 0) or 0) in RESULT_SERIES
        )
    except Exception:  # noqa: BLE001 - unreadable: not ours; the loader gives it a row
        return False


def is_own_json(path: Path) -> bool:
    """A watch state or a validation JSON of ours."""
    try:
        data = json.loads(_head(path, 64 * 1024 * 1024).decode("utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    if data.get("generator") == JSON_GENERATOR:
        return True
    return {"version", "keys", "files"} <= set(data)


def is_own_html(path: Path) -> bool:
    try:
        return _head(path, 512).decode("utf-8", errors="replace").lstrip().startswith(HTML_MARK)
    except OSError:
        return False


_BY_SUFFIX = {
    ".csv": is_own_report,
    ".pdf": is_own_pdf,
    ".json": is_own_json,
    ".html": is_own_html,
    ".htm": is_own_html,
}


def is_own_output(path: Path, dicom: bool = False) -> bool:
    """Cheap by name first: only files whose suffix we write are read (DICOM only if asked)."""
    check = _BY_SUFFIX.get(path.suffix.lower())
    if check is not None and check(path):
        return True
    return dicom and is_own_dicom(path)
