"""``LoadedImage``: what reading hands on, whatever the file format was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Called with a DICOM header's values before its pixels are decoded: returns notes, or raises
#: ``NotScreenable`` (the scope gate's modality check is one), so a CT volume is never decoded.
HeaderCheck = Callable[[dict[str, Any]], list[str]]


@dataclass
class LoadedImage:
    """Display-ready pixels (uint8 or uint16, 0 = black) and what we know of them."""

    pixels: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Modality values before windowing (DICOM only), so a viewer can re-window.
    modality: np.ndarray | None = None
