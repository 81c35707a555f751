"""``load_image(path)``: any chest X-ray file to display-ready grayscale + metadata.

DICOM is recognised by content (preamble + ``DICM``, or a parseable dataset
without File Meta), never by extension; everything else goes to Pillow.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pneumoscan.errors import LoadError
from pneumoscan.reading.image import HeaderCheck, LoadedImage
from pneumoscan.reading.raster import RASTER_MAGIC, load_raster
from pneumoscan.reading.sniff import is_dicom, parse_bare_dicom, sniff_dicom

__all__ = ["LoadedImage", "is_dicom", "load_image", "read_head"]


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
    path: str | os.PathLike, min_size: int | None = None, header_check: HeaderCheck | None = None
) -> LoadedImage:
    """Load one file or raise ``LoadError`` (or ``NotScreenable``) with a clear reason.

    ``min_size`` is the model input side; raster decoders may use it to decode
    at a reduced scale that is still at least that large. ``header_check`` sees a
    DICOM header before its pixels are decoded (the Screener passes the scope
    gate's modality check). Nothing but a
    ``LoadError`` ever escapes, so one odd file cannot stop a batch.
    """
    path = Path(path)
    try:
        img = _load(path, min_size, header_check)
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


def _load(path: Path, min_size: int | None, header_check: HeaderCheck | None) -> LoadedImage:
    head = read_head(path)
    if not head:
        raise LoadError("File is empty (0 bytes).")
    is_part10 = sniff_dicom(head)
    if is_part10 or (not head.startswith(tuple(RASTER_MAGIC)) and parse_bare_dicom(path)):
        from pneumoscan.reading.dicom import load_dicom  # pydicom only when a DICOM comes (start-up time)

        return load_dicom(path, has_preamble=is_part10, header_check=header_check, min_size=min_size)
    pixels, meta = load_raster(str(path), min_size=min_size)
    notes = []
    if meta.get("frames", 1) > 1:
        notes.append(f"Multi-page file ({meta['frames']} pages or frames): the first one was screened.")
    return LoadedImage(pixels=pixels, meta=meta, notes=notes)
