"""Is this file DICOM? Decided by content only, in one place (the name never counts)."""

from __future__ import annotations

import os
from pathlib import Path

from pneumoscan.reading.raster import RASTER_MAGIC


def sniff_dicom(head: bytes) -> bool:
    """True for a Part 10 file (128-byte preamble then ``DICM``)."""
    return len(head) >= 132 and head[128:132] == b"DICM"


def parse_bare_dicom(path: Path) -> bool:
    """True when a file without preamble still parses as a DICOM dataset.

    Files written without File Meta (old modalities, some exports) start
    straight with a data element; pydicom reads them with ``force``.
    """
    import io
    import warnings

    import pydicom

    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)  # a header without preamble starts in the first kilobytes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd files are expected here; the row says what is wrong
            ds = pydicom.dcmread(io.BytesIO(head), force=True, stop_before_pixels=True)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - any parse failure just means "not DICOM"
        return False
    known = ("SOPClassUID", "Modality", "StudyInstanceUID", "PatientID", "Rows", "SpecificCharacterSet")
    return any(k in ds for k in known)


#: How much of a file without preamble is parsed to decide whether it is a bare DICOM
#: dataset; parsing a whole 200 MB file of zeros took a minute.
SNIFF_BYTES = 64 * 1024


def is_dicom(path: str | os.PathLike) -> bool:
    """The one content rule (the name never counts): Part 10, or a bare dataset that is no raster."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    if sniff_dicom(head):
        return True
    return bool(head) and not head.startswith(tuple(RASTER_MAGIC)) and parse_bare_dicom(Path(path))
