"""A site's own learned-gate thresholds: the shipped ones loosened by one shift, within a shipped limit.

The learned gates were tuned on one hospital's children, and a new site's children can look "adult"
or "unlike the training films" to them (issue 18: the same hospital's next batch loses 2.8% of its
films to the gates). A site that has read its own films can adopt a looser gate from them
(``pneumoscan validate``): both learned gates move together by one ``shift`` on the log-odds scale,
never tighter than shipped, and never looser than ``site_limit.max_shift`` in ``scope_gate.json``,
the shift at which the whole pipeline still refused the issue's 85% of adult films no gate was
trained on (``python -m convert.site_gate_limit``). Tag, pixel and distance checks never move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pneumoscan.scope.classifier import HOSPITALS_NAME
from pneumoscan.scope.classifier import NAME as CLASSIFIER
from pneumoscan.scope.result import NOTE, REFUSE, CheckResult

LEARNED = (CLASSIFIER, HOSPITALS_NAME)
#: How a note from a site's gate begins (a result's notes drop it when the shipped gate is back).
SITE_NOTE = "passes this site's gate"


def logit(p: ArrayLike) -> np.ndarray:
    """Log-odds, with probabilities kept off 0 and 1 (a gate can say exactly 0)."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q))


def shifted(threshold: float, shift: float) -> float:
    """``threshold`` moved down by ``shift`` on the log-odds scale (0: unchanged)."""
    if shift <= 0:
        return float(threshold)
    return float(1.0 / (1.0 + np.exp(-(logit(threshold) - float(shift)))))


def shipped_thresholds(config: Mapping[str, Any]) -> dict[str, float]:
    """The learned gates' shipped thresholds, by check name (only the gates this model ships)."""
    out = {}
    for key in LEARNED:
        part = config.get(key)
        if isinstance(part, Mapping) and "threshold" in part:
            out[key] = float(part["threshold"])
    return out


def max_shift(config: Mapping[str, Any]) -> float:
    """The furthest a site may loosen the learned gates (0 when the gate ships no measured limit)."""
    limit = config.get("site_limit")
    if not isinstance(limit, Mapping):
        return 0.0
    try:
        value = float(limit.get("max_shift", 0.0))
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def site_thresholds(config: Mapping[str, Any], shift: float) -> dict[str, float]:
    """Each shipped learned gate's threshold at ``shift`` (clipped to 0 .. the shipped limit)."""
    s = min(max(float(shift), 0.0), max_shift(config))
    return {name: shifted(t, s) for name, t in shipped_thresholds(config).items()}


def loosen(checks: Sequence[CheckResult], thresholds: Mapping[str, float]) -> list[CheckResult]:
    """The checks as a site's gate judges them: a learned gate's refusal whose score reaches the
    site's threshold becomes a note that says so (the film is assessed, and the reader told why)."""
    out = []
    for c in checks:
        t = thresholds.get(c.check)
        if c.verdict == REFUSE and t is not None and c.score is not None and c.score >= t:
            why = f"{SITE_NOTE} (score {c.score:.2f} >= {t:.2f}); shipped gate: {c.reason}"
            c = replace(c, verdict=NOTE, reason=why)
        out.append(c)
    return out


def refused_by_learned_only(checks: Sequence[CheckResult]) -> bool:
    """True when every refusal comes from a learned gate: a site's gate could let the film through."""
    refusals = [c for c in checks if c.refused]
    return bool(refusals) and all(c.check in LEARNED for c in refusals)


def shift_needed(checks: Sequence[CheckResult], thresholds: Mapping[str, float]) -> float | None:
    """The shift a refused film needs to pass every learned gate that refused it (None: not the
    learned gates' to give)."""
    if not refused_by_learned_only(checks):
        return None
    need = 0.0
    for c in checks:
        if c.refused:
            if c.score is None or c.check not in thresholds:
                return None
            need = max(need, float(logit(thresholds[c.check]) - logit(c.score)))
    return need
