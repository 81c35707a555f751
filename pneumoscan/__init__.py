"""PneumoScan core: load chest X-rays, preprocess them, screen them with ONNX Runtime.

The core imports neither Qt nor TensorFlow so the CLI, the GUI, training and
conversion can all share it without dragging heavy dependencies along. The
public API is named here and imported on first use (``import pneumoscan`` stays
instant: the CLI's ``--version`` needs nothing else).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: name -> module that defines it
_API = {
    "load_image": "pneumoscan.reading.loader",
    "LoadedImage": "pneumoscan.reading.image",
    "is_dicom": "pneumoscan.reading.sniff",
    "discover": "pneumoscan.reading.discovery",
    "preprocess": "pneumoscan.model.preprocess",
    "Model": "pneumoscan.model.session",
    "ModelOutput": "pneumoscan.model.session",
    "Screener": "pneumoscan.screener",
    "ScreenResult": "pneumoscan.results",
    "Status": "pneumoscan.results",
    "publish": "pneumoscan.outputs.publish",
    "PublishOptions": "pneumoscan.outputs.publish",
    "validate": "pneumoscan.validation.run",
    "FolderWatch": "pneumoscan.watch.session",
    "VerdictStore": "pneumoscan.verdicts.store",
}
__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'pneumoscan' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
