"""``load_image(path)``: any chest X-ray file to display-ready grayscale + metadata.

DICOM is recognised by content (preamble + ``DICM``, or a parseable dataset
without File Meta), never by extension; everything else goes to Pillow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import LoadError
from .raster import load_raster


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


def looks_like_bare_dicom(head: bytes) -> bool:
    """Heuristic for DICOM without preamble/File Meta: starts with a group 0008 tag."""
    if len(head) < 8:
        return False
    group_le = int.from_bytes(head[0:2], "little")
    group_be = int.from_bytes(head[0:2], "big")
    return group_le in (0x0002, 0x0008) or group_be in (0x0002, 0x0008)


def read_head(path: str | os.PathLike) -> bytes:
    try:
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


def load_image(path: str | os.PathLike, min_size: int | None = None) -> LoadedImage:
    """Load one file or raise ``LoadError`` (or ``NotScreenable``) with a clear reason.

    ``min_size`` is the model input side; raster decoders may use it to decode
    at a reduced scale that is still at least that large.
    """
    path = Path(path)
    head = read_head(path)
    if not head:
        raise LoadError("File is empty (0 bytes).")
    if sniff_dicom(head) or (looks_like_bare_dicom(head) and not _is_raster_magic(head)):
        from .dicom import load_dicom

        return load_dicom(path, has_preamble=sniff_dicom(head))
    pixels, meta = load_raster(str(path), min_size=min_size)
    return LoadedImage(pixels=pixels, meta=meta)


_RASTER_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")


def _is_raster_magic(head: bytes) -> bool:
    return head.startswith(_RASTER_MAGIC)
