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

from ..results import ScreenResult

#: Attributes emptied in DICOM outputs with ``--no-phi`` (Type 2: present, empty).
PHI_ATTRIBUTES = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "AccessionNumber",
    "ReferringPhysicianName",
    "OtherPatientIDs",
    "OtherPatientNames",
    "InstitutionName",
    "InstitutionAddress",
)


_TYPE2 = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "ReferringPhysicianName",
    "AccessionNumber",
)


@dataclass
class DicomOutcome:
    written: list[Path] = field(default_factory=list)
    note: str = ""


def _source_dataset(path: Path, no_phi: bool):
    import pydicom

    ds = pydicom.dcmread(str(path), stop_before_pixels=True, force=True)
    for keyword in ("StudyInstanceUID", "SOPInstanceUID", "SOPClassUID"):
        if not str(getattr(ds, keyword, "") or ""):
            raise ValueError(f"source has no {keyword}")
    if no_phi:
        for keyword in PHI_ATTRIBUTES:
            if keyword in ds:
                if keyword in (
                    "OtherPatientIDs",
                    "OtherPatientNames",
                    "InstitutionName",
                    "InstitutionAddress",
                ):
                    delattr(ds, keyword)
                else:
                    setattr(ds, keyword, "")
    if not str(ds.get("Modality", "") or ""):
        ds.Modality = "OT"  # only in our copy: highdicom reads it from the referenced source
    for keyword in _TYPE2:  # present, maybe empty: highdicom copies them from the source
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


def write_dicom_results(
    result: ScreenResult, out_dir: str | os.PathLike, version: str, sha256: str, no_phi: bool = False
) -> DicomOutcome:
    """SC + SR for a DICOM input that was assessed or refused by the scope gate; a note otherwise."""
    if result.status == "skipped":
        return DicomOutcome(note="No DICOM result: the file was not screened (skipped).")
    if not (result.ok or result.out_of_scope):
        return DicomOutcome(note="No DICOM result: the file could not be read.")
    if str(result.meta.get("source_kind", "")).upper() != "DICOM":
        return DicomOutcome(note="No DICOM result: the input was not a DICOM file.")
    from ..loader import load_image
    from ..report import atomic_write_bytes
    from .capture import build_secondary_capture
    from .report_sr import build_structured_report

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
    except BaseException as exc:  # noqa: BLE001 - a row note, never a crash of the batch
        return DicomOutcome(note=f"DICOM result not written ({type(exc).__name__}: {exc}).")
    return DicomOutcome(written=written, note=f"DICOM result: {len(written)} files (SC + SR).")


def _encode(ds) -> bytes:
    from io import BytesIO

    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()
