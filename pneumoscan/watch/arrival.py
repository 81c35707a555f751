"""When is a file that is still arriving complete enough to read?

A modality or a PACS export writes a study over seconds (network shares: much
longer). Reading early gives a truncated-file error for a film that is fine a
second later. A file is ready when its size and time stamp have not changed
for ``settle`` seconds and its format says it is whole (JPEG end marker, PNG
end chunk, DICOM parses to the end). A file that stays incomplete for
``give_up`` seconds is screened anyway, so it gets its error row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pneumoscan.reading.sniff import is_dicom

_JPEG_END = b"\xff\xd9"
_PNG_END = b"IEND\xaeB`\x82"


def _tail(path: Path, n: int = 64) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - n))
        return fh.read()


def dicom_complete(path: Path) -> bool:
    """The dataset parses to its end and the pixel data is all there."""
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(str(path), force=True)
    except Exception:  # noqa: BLE001 - any parse failure means "not yet"
        return False
    if "PixelData" not in ds:
        # an image header whose pixels have not arrived (pydicom drops encapsulated pixel data cut
        # before its delimiter); objects without an image (SR, ...) have nothing more to wait for
        return "Rows" not in ds and "SOPClassUID" in ds  # (pydicom may drop everything: "not yet")
    data = ds.PixelData
    syntax = ds.file_meta.get("TransferSyntaxUID", pydicom.uid.ExplicitVRLittleEndian)
    if syntax.is_compressed:
        return encapsulated_complete(data, syntax, int(ds.get("NumberOfFrames", 1) or 1))
    try:
        expected = (
            int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1)) * int(ds.BitsAllocated) // 8
        )
    except (AttributeError, TypeError, ValueError):
        return True
    return len(data) >= expected * int(ds.get("NumberOfFrames", 1) or 1)


def encapsulated_complete(data: bytes, syntax, frames: int) -> bool:
    """Every fragment whole, at least one per frame, and a JPEG-family codestream that ends in its
    end marker (JPEG EOI, JPEG-LS EOI and JPEG 2000 EOC are all FF D9): a file that stalls
    mid-transfer is "not yet", not an error row that would mark the instance done."""
    from pydicom.encaps import generate_fragments
    from pydicom.uid import RLELossless

    try:
        fragments = list(generate_fragments(data))
    except Exception:  # noqa: BLE001 - a fragment cut short
        return False
    if len(fragments) < max(1, frames) or not fragments[-1]:
        return False
    if syntax == RLELossless:
        return True
    return fragments[-1].rstrip(b"\0").endswith(_JPEG_END)


def looks_complete(path: Path) -> bool:
    """Format-specific end check; formats without one (or files too odd to check) count as complete."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
        if head[:3] == b"\xff\xd8\xff":
            return _JPEG_END in _tail(path, 64)
        if head[:8] == b"\x89PNG\r\n\x1a\n":
            return _tail(path, 12).endswith(_PNG_END)
        if is_dicom(path):
            return dicom_complete(path)
    except OSError:
        return False
    except Exception:  # noqa: BLE001 - never stop a watch; the loader gives the file its row
        return True
    return True


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when this size/mtime was first seen
    first: float  # when the path was first offered


class Settler:
    """Candidates in, complete files out; a file is offered as often as events come."""

    def __init__(self, settle: float = 2.0, give_up: float = 120.0) -> None:
        self.settle, self.give_up = settle, give_up
        self._seen: dict[Path, _Seen] = {}

    def offer(self, path: Path, now: float) -> None:
        self._seen.setdefault(path, _Seen(-1, -1, now, now))

    def __len__(self) -> int:
        return len(self._seen)

    def ready(self, now: float) -> list[Path]:
        """Paths stable for ``settle`` seconds and complete (or past ``give_up``), oldest first."""
        out = []
        for path, s in list(self._seen.items()):
            try:
                st = path.stat()
            except OSError:
                if now - s.first > self.settle:
                    del self._seen[path]  # gone again (a temporary file renamed away)
                continue
            if (st.st_size, st.st_mtime_ns) != (s.size, s.mtime_ns):
                s.size, s.mtime_ns, s.since = st.st_size, st.st_mtime_ns, now
                continue
            if now - s.since < self.settle:
                continue
            if looks_complete(path) or now - s.first > self.give_up:
                out.append(path)
                del self._seen[path]
        return out
