"""One result per input file, whatever happened to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

POSITIVE, NEGATIVE = "PNEUMONIA", "NORMAL"


@dataclass
class ScreenResult:
    """The outcome for one file; the label is derived so thresholds can change later."""

    path: Path
    status: str  # "ok", "error" or "skipped"
    reason: str = ""
    probability: float | None = None
    threshold: float | None = None
    operating_point: str = ""
    model_version: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cam: np.ndarray | None = field(default=None, repr=False)
    thumbnail: np.ndarray | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def result(self) -> str:
        if not self.ok or self.probability is None or self.threshold is None:
            return ""
        return POSITIVE if self.probability >= self.threshold else NEGATIVE

    @property
    def flagged(self) -> bool:
        return self.result == POSITIVE

    def with_threshold(self, operating_point: str, threshold: float) -> ScreenResult:
        """Relabel without re-running the model (the probability does not change)."""
        self.operating_point, self.threshold = operating_point, threshold
        return self
