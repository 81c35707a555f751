"""DICOM results for the PACS: a Secondary Capture and a Structured Report per DICOM input.

Built with highdicom, named by SOP Instance UID, in the source's study. JPEG
and PNG inputs get none (they have no study to join); errors get none (there
is nothing to say about a film we could not read). Whatever happens is a short
text for the report row, never an exception out of the batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pneumoscan.results import ScreenResult, Status

_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID")


@dataclass
class DicomOutcome:
    written: list[Path] = field(default_factory=list)
    note: str = ""
    #: 1 when writing was tried and failed (full disk, ...): a later run or step may succeed.
    failed: int = 0


class SourceError(ValueError):
    """The source cannot be referenced by a result (no or invalid UIDs): no retry will help."""


def _source_dataset(path: Path, no_phi: bool):
    import pydicom
    from pydicom.uid import UID

    from pneumoscan.outputs.phi import EMPTY, UTF8, allowed_reference

    ds = pydicom.dcmread(str(path), stop_before_pixels=True, force=True)
    for keyword in _UIDS:
        value = str(getattr(ds, keyword, "") or "")
        if not value:
            raise SourceError(f"the source has no {keyword}")
        if not UID(value).is_valid:
            raise SourceError(f"the source's {keyword} is not a valid DICOM UID")
    if no_phi:
        return allowed_reference(ds)
    ds.decode()  # text to str in the source's character set, then written as UTF-8
    ds.SpecificCharacterSet = UTF8
    if not str(ds.get("Modality", "") or ""):
        ds.Modality = "OT"  # only in our copy: highdicom reads it from the referenced source
    for keyword in EMPTY:  # present, maybe empty: highdicom copies them from the source
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


def write_dicom_results(
    result: ScreenResult, out_dir: str | os.PathLike, version: str, sha256: str, no_phi: bool = False
) -> DicomOutcome:
    """SC + SR for a DICOM input that was assessed or refused by the scope gate; a note otherwise."""
    if result.status == Status.SKIPPED:
        return DicomOutcome(note="No DICOM result: the file was not screened (skipped).")
    if not (result.ok or result.out_of_scope):
        return DicomOutcome(note="No DICOM result: the file could not be read.")
    if str(result.meta.get("source_kind", "")).upper() != "DICOM":
        return DicomOutcome(note="No DICOM result: the input was not a DICOM file.")
    from pneumoscan.outputs.atomic import atomic_write_bytes
    from pneumoscan.outputs.dicom.capture import build_secondary_capture
    from pneumoscan.outputs.dicom.report_sr import build_structured_report
    from pneumoscan.reading.loader import load_image

    try:
        source = _source_dataset(Path(result.path), no_phi)
        pixels = load_image(result.path).pixels
        docs = [
            build_secondary_capture(source, pixels, result, sha256),
            build_structured_report(source, result, version, sha256),
        ]
        out = Path(out_dir)
        written = []
        for doc in docs:
            target = out / f"{doc.SOPInstanceUID}.dcm"
            atomic_write_bytes(target, _encode(doc))
            written.append(target)
    except (KeyboardInterrupt, SystemExit):
        raise
    except SourceError as exc:
        return DicomOutcome(note=f"No DICOM result: {exc}.")
    except BaseException as exc:  # noqa: BLE001 - a row note, never a crash of the batch
        return DicomOutcome(note=f"DICOM result not written ({type(exc).__name__}: {exc}).", failed=1)
    return DicomOutcome(written=written, note=f"DICOM result: {len(written)} files (SC + SR).")


def _encode(ds) -> bytes:
    from io import BytesIO

    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()
