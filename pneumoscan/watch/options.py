"""What a watch is asked to do, what it counts, and why it may refuse to start."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path


class WatchError(ValueError):
    """The watch cannot start; the message says why (lock held, output refused, state unusable)."""


@dataclass
class WatchOptions:
    report: Path
    dicom_out: Path | None = None
    pdf: Path | None = None  # "summary.pdf" -> summary-YYYY-MM-DD.pdf, one per day
    no_phi: bool = False
    poll: bool = False  # polling observer (network shares), instead of native events
    settle: float = 2.0
    give_up: float = 120.0
    rescan: float = 30.0  # full rescan interval, a safety net for missed events
    pdf_interval: float = 300.0  # the day's PDF is rebuilt at most this often (and when the watch stops)
    retry_interval: float = 60.0  # DICOM results that failed are written again after this


@dataclass
class WatchStats:
    screened: int = 0
    flagged: int = 0
    duplicates: int = 0
    started: float = field(default_factory=time.monotonic)


def lock_path_for(report: Path) -> Path:
    return report.with_name(f".{report.name}.lock")
