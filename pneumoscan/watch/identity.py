"""What counts as "the same film" for a watched folder.

A PACS may send the same instance twice (a resend, a second export, a copy
with another name). DICOM instances are the same when their SOP Instance UID
is; other files when their content is (SHA-256).
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def instance_key(path: Path) -> str:
    """``uid:<SOP Instance UID>`` for DICOM with one, else ``sha256:<content hash>``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
        if len(head) >= 132 and head[128:132] == b"DICM" or path.suffix.lower() in (".dcm", ".dicom"):
            import pydicom

            ds = pydicom.dcmread(
                str(path), stop_before_pixels=True, force=True, specific_tags=["SOPInstanceUID"]
            )
            uid = str(ds.get("SOPInstanceUID", "") or "").strip()
            if uid:
                return f"uid:{uid}"
    except Exception:  # noqa: BLE001 - fall back to the content hash
        pass
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return f"path:{path}"
    return f"sha256:{h.hexdigest()}"
