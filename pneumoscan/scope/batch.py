"""``Batch check``: does this batch of films look like the films the model was validated on?

Label-free, so it runs on every batch: the distribution of the feature distance
(how unlike the training films each film is, the scope gate's Mahalanobis
distance) and the share of films flagged, against the same figures on the
validation films (``assets/batch_reference.json``, written by
``python -m training.batch_reference``); see ``check_batch`` for the rule.
``shift`` says the shipped figures are not this site's, and site validation is
the way to get them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Fewer assessed films than this: too few to judge (the check says so instead of guessing).
MIN_FILMS = 20


@dataclass(frozen=True)
class BatchCheck:
    verdict: str  # "ok", "shift" or "too few films"
    figures: str

    @property
    def line(self) -> str:
        return f"Batch check: {self.verdict} ({self.figures})"


def load_reference(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


#: The validation films' own share beyond their 95th percentile of feature distance.
BEYOND = 0.05
#: Refused by the scope gate: on the validation films 0.2%; films of another hospital, 35-87% here.
REFUSED_SHIFT = 0.20


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (no SciPy in the bundle)."""
    if k <= 0:
        return 1.0
    total = 0.0
    for i in range(k, n + 1):
        log_term = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        total += math.exp(log_term + i * math.log(p) + (n - i) * math.log1p(-p))
    return min(1.0, total)


def check_batch(
    distances: list[float], flagged: list[bool], refused: int, reference: dict | None
) -> BatchCheck:
    """The verdict for one batch: the assessed films' feature distances and flags, and how many the
    gate refused. ``shift`` when significantly more films than the validation films' 5% lie beyond
    their 95th percentile of feature distance (one-sided binomial, 1%), or when the gate refused
    more than a fifth of the films. A batch of one class alone stays ``ok``: on the validation
    films, 150 normals put 1% beyond it and 150 pneumonias 9% (p = 0.02)."""
    if reference is None:
        return BatchCheck("not run", "no reference statistics shipped with this model")
    d = np.asarray([x for x in distances if x is not None and math.isfinite(x)], dtype=np.float64)
    total = len(d) + refused
    if total < MIN_FILMS:
        return BatchCheck("too few films", f"{total} films; {MIN_FILMS} needed")
    q = np.asarray(reference["distance_quantiles"], dtype=np.float64)
    p95 = float(np.quantile(q, 1 - BEYOND))
    beyond = int((d > p95).sum())
    p_value = binomial_tail(beyond, len(d), BEYOND) if len(d) else 1.0
    refused_share = refused / total
    shift = p_value < 0.01 or refused_share > REFUSED_SHIFT
    if not len(d):
        # nothing to compare: a flagged share of no films would read "nan%"
        figures = f"{total} films; none assessed: all {refused} refused by the scope gate"
        return BatchCheck("shift" if shift else "ok", figures)
    share = float(np.mean(flagged)) if flagged else 0.0
    figures = (
        f"{total} films; {beyond} of {len(d)} assessed ({100 * beyond / max(len(d), 1):.0f}%) beyond the "
        f"validation films' 95th percentile of feature distance (p = {p_value:.2g}); "
        f"{100 * refused_share:.0f}% not assessed; flagged {100 * share:.0f}% vs "
        f"{100 * float(reference['flagged_share']):.0f}% on the validation films"
    )
    return BatchCheck("shift" if shift else "ok", figures)


def check_results(results, reference: dict | None) -> BatchCheck:
    assessed = [r for r in results if r.ok]
    refused = sum(r.out_of_scope for r in results)
    return check_batch(
        [r.scope_distance for r in assessed], [r.flagged for r in assessed], refused, reference
    )
