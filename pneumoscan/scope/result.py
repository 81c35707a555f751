"""What one scope check concluded about one image, as a value (never an exception)."""

from __future__ import annotations

from dataclasses import dataclass

PASS, REFUSE, NOTE, NOT_RUN = "pass", "refuse", "note", "not_run"


@dataclass(frozen=True)
class CheckResult:
    """``verdict`` is pass, refuse (out of scope), note (assessed, with a caveat) or not_run.

    ``label`` is a learned gate's class when it refuses, so that a later rule (the tags' word,
    ``scope.affirm``) can tell "adult" from "rotated" without parsing the reason.
    """

    check: str
    verdict: str
    reason: str = ""
    score: float | None = None
    label: str = ""

    @property
    def refused(self) -> bool:
        return self.verdict == REFUSE

    def describe(self) -> str:
        """One line for the metadata panel and ``pneumoscan info``."""
        score = "" if self.score is None else f" [{self.score:.3g}]"
        text = f": {self.reason}" if self.reason else ""
        return f"{self.check}: {self.verdict.replace('_', ' ')}{score}{text}"


#: Checks whose refusal waits for the learned gate: "looks inverted" is a chest-film heuristic, so
#: on a dental or hand film the gate's "another body part" is the truer reason.
DEFERRED = frozenset({"inverted"})


def first_refusal(checks: list[CheckResult], include_deferred: bool = True) -> CheckResult | None:
    """The refusal that decides: the first non-deferred one, else (if allowed) the first deferred one."""
    firm = next((c for c in checks if c.refused and c.check not in DEFERRED), None)
    if firm is not None or not include_deferred:
        return firm
    return next((c for c in checks if c.refused), None)
