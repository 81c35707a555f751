"""``load_image(path)``: any chest X-ray file to display-ready grayscale + metadata.

DICOM is recognised by content (preamble + ``DICM``, or a parseable dataset
without File Meta), never by extension; everything else goes to Pillow.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import LoadError
from .raster import RASTER_MAGIC, load_raster


@dataclass
class LoadedImage:
    """Display-ready pixels (uint8 or uint16, 0 = black) and what we know of them."""

    pixels: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Modality values before windowing (DICOM only), so a viewer can re-window.
    modality: np.ndarray | None = None


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


def read_head(path: str | os.PathLike) -> bytes:
    """The first bytes of a regular file; FIFOs and devices are refused (they can block forever)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "folder" if stat.S_ISDIR(st.st_mode) else "pipe, socket or device"
            if kind == "folder":
                raise LoadError("This is a folder, not a file.")
            raise LoadError(f"Not a regular file (a {kind}): PneumoScan reads only ordinary files.")
        with open(path, "rb") as fh:
            return fh.read(132)
    except PermissionError as exc:
        raise LoadError("Permission denied: PneumoScan may not read this file.") from exc
    except IsADirectoryError as exc:
        raise LoadError("This is a folder, not a file.") from exc
    except FileNotFoundError as exc:
        raise LoadError("File not found (moved or deleted?).") from exc
    except OSError as exc:
        raise LoadError(f"File could not be read ({exc.strerror or exc}).") from exc


def load_image(
    path: str | os.PathLike, min_size: int | None = None, check_modality: bool = True
) -> LoadedImage:
    """Load one file or raise ``LoadError`` (or ``NotScreenable``) with a clear reason.

    ``min_size`` is the model input side; raster decoders may use it to decode
    at a reduced scale that is still at least that large. Nothing but a
    ``LoadError`` ever escapes, so one odd file cannot stop a batch.
    """
    path = Path(path)
    try:
        img = _load(path, min_size, check_modality)
        if img.pixels.ndim != 2 or img.pixels.size == 0:
            raise LoadError(
                f"The decoded image has an unexpected shape {img.pixels.shape}: the file is corrupt."
            )
        return img
    except LoadError:
        raise
    except MemoryError as exc:
        raise LoadError("Not enough memory to decode this image.") from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - decoder panics (pyo3) derive from BaseException
        raise LoadError(
            f"The image data could not be decoded: the file is corrupt ({describe(exc)})."
        ) from exc


def describe(exc: BaseException) -> str:
    """A decoder's message on one line: its most informative non-empty line, with the error type."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = max(lines, key=len) if lines else ""
    name = type(exc).__name__
    return f"{name}: {text[:200]}" if text else name


def _load(path: Path, min_size: int | None, check_modality: bool) -> LoadedImage:
    head = read_head(path)
    if not head:
        raise LoadError("File is empty (0 bytes).")
    is_part10 = sniff_dicom(head)
    if is_part10 or (not head.startswith(tuple(RASTER_MAGIC)) and parse_bare_dicom(path)):
        from .dicom import load_dicom

        return load_dicom(path, has_preamble=is_part10, check_modality=check_modality, min_size=min_size)
    pixels, meta = load_raster(str(path), min_size=min_size)
    notes = []
    if meta.get("frames", 1) > 1:
        notes.append(f"Multi-page file ({meta['frames']} pages or frames): the first one was screened.")
    return LoadedImage(pixels=pixels, meta=meta, notes=notes)
