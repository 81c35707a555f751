"""One result per input file, whatever happened to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from pneumoscan.scope.result import CheckResult, first_refusal
from pneumoscan.scope.site_gate import SITE_NOTE, loosen

POSITIVE, NEGATIVE = "PNEUMONIA", "NORMAL"


class Status(str, Enum):
    """What happened to a file. A ``str`` (its value), so reports and old comparisons read the same."""

    OK = "ok"  # assessed: a probability and a result
    ERROR = "error"  # could not be read (see the reason)
    SKIPPED = "skipped"  # not a film (another modality, no image, one of our own results)
    OUT_OF_SCOPE = "out_of_scope"  # a film the scope gate refused: not assessed

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:  # Enum hashes the member's name; a str must hash like its text
        return str.__hash__(self.value)


OUT_OF_SCOPE = Status.OUT_OF_SCOPE
STATUSES = tuple(Status)


@dataclass
class ScreenResult:
    """The outcome for one file; the label is derived so thresholds can change later."""

    path: Path
    status: Status
    reason: str = ""
    probability: float | None = None
    threshold: float | None = None
    operating_point: str = ""
    model_version: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Every scope check's verdict, in the order run (see ``pneumoscan.scope``).
    checks: list[CheckResult] = field(default_factory=list)
    #: False when the user switched the scope gate off (research use); recorded in every row.
    scope_gate: bool = True
    scope_class: str = ""
    scope_in_score: float | None = None
    scope_distance: float | None = None
    #: Research aid (issue 12): calibrated probability that a flagged film shows viral, not bacterial, pneumonia.
    viral_probability: float | None = None
    #: Viral at or above this probability (the subtype head's operating point).
    subtype_threshold: float | None = None
    #: Local time the file was screened (ISO 8601, seconds): a watched folder's PDF is per day.
    screened_at: str = ""
    #: The reader's verdict recorded for this film (``pneumoscan.verdicts``): pneumonia, normal or unsure.
    reader_verdict: str = ""
    cam: np.ndarray | None = field(default=None, repr=False)
    thumbnail: np.ndarray | None = field(default=None, repr=False)
    #: Pooled features (kept only when asked: a site's adapted head is fitted on them).
    features: np.ndarray | None = field(default=None, repr=False)
    #: Probabilities of site profiles' adapted heads, by operating point (``site:NAME``).
    head_probabilities: dict[str, float] = field(default_factory=dict, repr=False)
    #: The shipped head's probability, kept while an adapted head's is shown and while the learned
    #: gates refuse the film (a site's own gate can let it through without a new run).
    base_probability: float | None = field(default=None, repr=False)
    #: The heat map kept while the learned gates refuse the film (see ``base_probability``).
    held_cam: np.ndarray | None = field(default=None, repr=False)
    #: The checks as the shipped gate judged them, kept once a site's gate has judged them again.
    shipped_checks: list[CheckResult] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def result(self) -> str:
        if not self.ok or self.probability is None or self.threshold is None:
            return ""
        return POSITIVE if self.probability >= self.threshold else NEGATIVE

    @property
    def out_of_scope(self) -> bool:
        return self.status == OUT_OF_SCOPE

    @property
    def flagged(self) -> bool:
        return self.result == POSITIVE

    @property
    def subtype(self) -> str:
        """``viral`` or ``bacterial``, only for flagged films (the head never saw normal ones)."""
        if not self.flagged or self.viral_probability is None or self.subtype_threshold is None:
            return ""
        return "viral" if self.viral_probability >= self.subtype_threshold else "bacterial"

    @property
    def subtype_words(self) -> str:
        """The subtype with its uncertainty in words: ``leans viral, 0.72``."""
        if not self.subtype:
            return ""
        p = self.viral_probability if self.subtype == "viral" else 1.0 - self.viral_probability
        strength = "likely" if p >= 0.85 else "leans" if p >= 0.6 else "uncertain, leans"
        return f"{strength} {self.subtype}, {p:.2f}"

    def with_threshold(
        self, operating_point: str, threshold: float, gate: dict[str, float] | None = None
    ) -> ScreenResult:
        """Relabel without re-running the model: the probability changes only to or from a site
        profile's adapted head, and the scope verdict only to or from a site's own learned-gate
        thresholds (``gate``; None: the shipped ones). All of these were computed at screening."""
        self.operating_point, self.threshold = operating_point, threshold
        if self.head_probabilities and self.base_probability is None:
            self.base_probability = self.probability
        self._regate(gate)
        if self.ok and self.base_probability is not None:
            self.probability = self.head_probabilities.get(operating_point, self.base_probability)
        return self

    def _regate(self, gate: dict[str, float] | None) -> None:
        """Judge the learned gates' refusals again at ``gate``'s thresholds (only a film the model
        scored: one refused before the model has nothing to show)."""
        if not self.scope_gate or self.status not in (Status.OK, Status.OUT_OF_SCOPE):
            return
        if self.shipped_checks is None:
            if not gate:
                return
            self.shipped_checks = list(self.checks)
        self.checks = loosen(self.shipped_checks, gate) if gate else list(self.shipped_checks)
        self.notes = [n for n in self.notes if not n.startswith(SITE_NOTE)]
        self.notes += [c.reason for c in self.checks if c.reason.startswith(SITE_NOTE)]
        refusal = first_refusal(self.checks)
        if refusal is not None:
            if self.status == Status.OK:
                self.held_cam, self.cam = self.cam, None
            self.status, self.reason, self.probability = (
                Status.OUT_OF_SCOPE,
                f"Not assessed: {refusal.reason}",
                None,
            )
        elif self.status == Status.OUT_OF_SCOPE and self.base_probability is not None:
            self.status, self.reason, self.cam = Status.OK, "", self.held_cam


def problem_results(problems: list[tuple[Path, str]], model_version: str = "") -> list[ScreenResult]:
    """One error row per path that could not be walked (discovery's problems)."""
    return [
        ScreenResult(path=p, status=Status.ERROR, reason=why, model_version=model_version)
        for p, why in problems
    ]


def as_status(value: str) -> Status:
    """A status read back from a report row ("" or unknown text: an error)."""
    try:
        return Status(value)
    except ValueError:
        return Status.ERROR
