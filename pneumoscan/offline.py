"""The network promise, enforced in-process before anything that could phone home is imported.

- ONNX Runtime 1.29+ sends telemetry DNS queries during long runs on Linux
  unless ``ORT_DISABLE_TELEMETRY=1`` is in the environment when it starts
  (``onnxruntime.disable_telemetry_events()`` does not stop it).
- ``import pydicom`` imports ``requests`` when installed (for its optional
  test-data downloader), and urllib3 opens a socket at import to probe IPv6.
  PneumoScan never downloads anything, so the programs block that import.

Entry points (CLI, GUI, frozen executables via a runtime hook, training and
conversion) call ``ensure_offline()`` first; the Screener calls it again
before it imports ONNX Runtime, for library use.
"""

from __future__ import annotations

import os
import sys

ENV = {"ORT_DISABLE_TELEMETRY": "1"}


def ensure_offline(block_downloaders: bool = False) -> None:
    """Set the telemetry switches; with ``block_downloaders`` also make ``import requests`` fail."""
    os.environ.update(ENV)
    if block_downloaders and "requests" not in sys.modules:
        sys.modules["requests"] = None  # type: ignore[assignment]  # ImportError on import
