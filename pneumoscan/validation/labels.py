"""Where a film's truth comes from: its folder name, or a labels CSV; and which patient it belongs to.

Unknown or missing labels are returned as such (``None`` with the text seen),
never guessed, so the report can list every film it could not use.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POSITIVE, NEGATIVE = 1, 0
_WORDS = {
    POSITIVE: {
        "pneumonia",
        "positive",
        "pos",
        "abnormal",
        "bacteria",
        "bacterial",
        "virus",
        "viral",
        "yes",
        "1",
        "true",
    },
    NEGATIVE: {"normal", "negative", "neg", "healthy", "nopneumonia", "no", "0", "false", "clear"},
}


def label_of_text(text: str) -> int | None:
    """``PNEUMONIA``, ``pneumonia``, ``Positive``, ``bacterial`` -> 1; ``NORMAL``, ``no_pneumonia`` -> 0."""
    key = re.sub(r"[^a-z0-9]", "", text.strip().lower())
    for label, words in _WORDS.items():
        if key in words:
            return label
    return None


def label_from_folders(path: Path, stop: Path | None = None) -> int | None:
    """The label named by the nearest folder above ``path`` that names one (up to ``stop``)."""
    for parent in path.parents:
        if stop is not None and parent == stop.parent:
            break
        label = label_of_text(parent.name)
        if label is not None:
            return label
    return None


@dataclass
class LabelTable:
    """Labels read from a CSV: by resolved path and by SOP Instance UID; what could not be read."""

    by_path: dict[str, int]
    by_uid: dict[str, int]
    unknown: list[str]  # rows whose label text is not a known synonym
    by_sha256: dict[str, int] = field(default_factory=dict)  # reader verdicts of non-DICOM films

    def lookup(self, path: Path, meta: dict[str, Any]) -> int | None:
        uid = str(meta.get("SOPInstanceUID", "") or "")
        if uid and uid in self.by_uid:
            return self.by_uid[uid]
        try:
            key = str(path.resolve())
        except OSError:
            key = str(path.absolute())
        if key in self.by_path:
            return self.by_path[key]
        if self.by_sha256 and not uid:
            from pneumoscan.hashing import file_sha256

            try:
                return self.by_sha256.get(file_sha256(path))
            except OSError:
                return None
        return None


def labels_from_verdicts(store) -> tuple[LabelTable, int]:
    """Labels from the readers' verdicts (``pneumoscan.verdicts``): pneumonia 1, normal 0; films
    marked unsure are left out and counted (the second value)."""
    table, unsure = LabelTable({}, {}, []), 0
    for key, v in store.latest().items():
        if v.label is None:
            unsure += 1
            continue
        kind, _, value = key.partition(":")
        (table.by_uid if kind == "uid" else table.by_sha256)[value] = v.label
    return table, unsure


_PATH_COLUMNS = ("path", "file", "filename", "file_name", "image")
_UID_COLUMNS = ("sop_instance_uid", "sopinstanceuid", "uid", "sop_uid")
_LABEL_COLUMNS = ("label", "class", "diagnosis", "truth", "result", "finding")


def read_labels(csv_path: str | os.PathLike) -> LabelTable:
    """Read ``path`` or ``sop_instance_uid`` plus ``label`` columns (names matched case-insensitively)."""
    csv_path = Path(csv_path)
    from pneumoscan.reading.own import is_own_report

    if is_own_report(csv_path):
        raise ValueError(
            f"{csv_path.name} is a PneumoScan report: its results are the model's own calls, so "
            "validating against them measures the model against itself. Give the readers' labels."
        )
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        label_col = next((fields[c] for c in _LABEL_COLUMNS if c in fields), None)
        path_col = next((fields[c] for c in _PATH_COLUMNS if c in fields), None)
        uid_col = next((fields[c] for c in _UID_COLUMNS if c in fields), None)
        if label_col is None or (path_col is None and uid_col is None):
            raise ValueError(
                f"{csv_path.name} needs a label column ({', '.join(_LABEL_COLUMNS)}) and a path or "
                f"SOP Instance UID column ({', '.join(_PATH_COLUMNS + _UID_COLUMNS)})"
            )
        table = LabelTable({}, {}, [])
        for row in reader:
            text = (row.get(label_col) or "").strip()
            label = label_of_text(text)
            where = (row.get(path_col) or "").strip() if path_col else ""
            uid = (row.get(uid_col) or "").strip() if uid_col else ""
            if label is None:
                table.unknown.append(f"{where or uid}: label {text!r} is not NORMAL or PNEUMONIA")
                continue
            if uid:
                table.by_uid[uid] = label
            if where:
                p = Path(where)
                p = p if p.is_absolute() else csv_path.parent / p
                table.by_path[str(p.resolve())] = label
    return table


_PATIENT_PATTERNS = (
    re.compile(r"^(person\d+)_"),  # person123_bacteria_45
    re.compile(r"^((?:NORMAL2-)?IM-\d+)-\d+"),  # IM-0115-0001, NORMAL2-IM-0427-0001
    re.compile(r"^([A-Za-z]+[-_]?\d+)[-_](?:\d+|[A-Za-z]+)"),  # P0042_1, pat-17_frontal
)


def patient_of(path: Path, meta: dict[str, Any]) -> str:
    """PatientID from DICOM, else a patient pattern in the file name, else the file itself."""
    pid = str(meta.get("PatientID", "") or "").strip()
    if pid:
        return f"id:{pid}"
    for pattern in _PATIENT_PATTERNS:
        m = pattern.match(path.stem)
        if m:
            return f"name:{m.group(1)}"
    return f"file:{path}"
