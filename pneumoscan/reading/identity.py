"""What counts as "the same film" for a watched folder.

A PACS may send the same instance twice (a resend, a second export, a copy
with another name). DICOM instances are the same when their SOP Instance UID
is; other files when their content is (SHA-256). The content hash is kept for
DICOM too: an instance overwritten with new pixels under the same UID is not
the film that was screened, and is screened again.
"""

from __future__ import annotations

from pathlib import Path

from pneumoscan.hashing import file_sha256
from pneumoscan.reading.sniff import is_dicom


def content_digest(path: Path) -> str:
    """SHA-256 of the file's bytes ("" when it cannot be read)."""
    try:
        return file_sha256(path)
    except OSError:
        return ""


def instance_key(path: Path, digest: str | None = None) -> str:
    """``uid:<SOP Instance UID>`` for DICOM with one, else ``sha256:<content hash>``."""
    try:
        if is_dicom(path):
            import pydicom

            ds = pydicom.dcmread(
                str(path), stop_before_pixels=True, force=True, specific_tags=["SOPInstanceUID"]
            )
            uid = str(ds.get("SOPInstanceUID", "") or "").strip()
            if uid:
                return f"uid:{uid}"
    except Exception:  # noqa: BLE001 - fall back to the content hash
        pass
    digest = content_digest(path) if digest is None else digest
    return f"sha256:{digest}" if digest else f"path:{path}"
