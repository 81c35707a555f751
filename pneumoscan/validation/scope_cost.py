"""What the scope gate costs at a site: of its labelled films, how many the gate refused, of which
class and by which check, and the sensitivity that counts a refused pneumonia film as not flagged.

Why: every labelled film a site gives is one it wants read, and a refused film is never put first.
The gate is tuned at the training hospital, where it refuses under 1% of films; of a batch of that
hospital's films it never saw it refused 2.8%, every one among the batch's oldest-looking films
(``docs/hospitals.md``), so a site whose children are older than Guangzhou's 1-5 should expect more.
The operating points' sensitivity is on assessed films only; this is the local figure with the gate in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from pneumoscan.scope.affirm import contradicted
from pneumoscan.scope.result import REFUSE, first_refusal
from pneumoscan.validation.stats import clopper_pearson


def refusal_check(result: Any) -> str:
    """The check that refused a film, with a learned gate's class: ``classifier_hospitals: adult_chest``."""
    c = first_refusal(list(getattr(result, "checks", []) or []))
    if c is None:
        return "scope gate"
    return f"{c.check}: {c.label}" if c.label else c.check


#: Words for the sentences (the JSON keeps the checks' own names).
WORDS = {
    "adult_chest": "looks adult",
    "other_radiograph": "another body part",
    "not_radiograph": "not a radiograph",
    "inverted_or_rotated": "inverted or rotated",
    "distance": "far from the training films",
}


def check_words(name: str) -> str:
    """``classifier_hospitals: adult_chest`` -> ``looks adult`` (either learned gate); others as named."""
    return WORDS.get(name.rpartition(": ")[2] or name, name)


def tags_would_assess(result: Any) -> bool:
    """Every refusal of this film is one a DICOM's own tags turn into a note (``pneumoscan.scope.affirm``):
    a learned "looks adult" or "not a radiograph", or the distance check."""
    refusals = [c for c in getattr(result, "checks", []) or [] if c.verdict == REFUSE]
    return bool(refusals) and all(contradicted(c) for c in refusals)


def rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = clopper_pearson(k, n) if n else (None, None)  # JSON has no NaN
    return {"k": k, "n": n, "value": k / n if n else None, "ci95": [lo, hi]}


def gate_cost(
    refused: Sequence[tuple[Any, int]],
    y: np.ndarray,
    p: np.ndarray,
    thresholds: dict[str, tuple[str, float]],
    gate_on: bool = True,
) -> dict[str, Any]:
    """``refused``: (result, label) for each labelled film the gate refused; ``y``, ``p``: the
    assessed films' labels and probabilities; ``thresholds``: operating point key -> (name, threshold).

    Sensitivity with the gate counts every labelled pneumonia film, refused ones as not flagged.
    ``gate_on=False`` (switched off for research use) is recorded, so that "none refused" is not
    read as the gate's figure.
    """
    labels = np.array([lab for _r, lab in refused], dtype=int)
    y = np.asarray(y, dtype=int)
    pos_refused = int((labels == 1).sum())
    pos_all = int(y.sum()) + pos_refused
    by_class = {
        "pneumonia": rate(pos_refused, pos_all),
        "normal": rate(int((labels == 0).sum()), int((y == 0).sum()) + int((labels == 0).sum())),
    }
    pos_p = np.asarray(p, dtype=float)[y == 1]
    sens = {
        key: {"name": name, "threshold": t, **rate(int((pos_p >= t).sum()), pos_all)}
        for key, (name, t) in thresholds.items()
    }
    return {
        "gate_on": gate_on,
        "refused": rate(len(refused), len(refused) + len(y)),
        "by_class": by_class,
        "by_check": dict(Counter(refusal_check(r) for r, _lab in refused).most_common()),
        "tags_would_assess": sum(tags_would_assess(r) for r, _lab in refused),
        "sensitivity_with_gate": sens,
        "films": [
            {"path": str(r.path), "label": "pneumonia" if lab else "normal", "check": refusal_check(r)}
            for r, lab in refused
        ],
    }


def pct(rate: dict[str, Any]) -> str:
    lo, hi = rate["ci95"]
    return f"{rate['k']} of {rate['n']} ({100 * rate['value']:.1f}%; 95% CI {100 * lo:.1f}-{100 * hi:.1f})"


#: The operating points whose sensitivity with the gate the sentences give (all are in the JSON).
SAID = ("shipped", "site_target")


def cost_lines(cost: dict[str, Any]) -> list[str]:
    """Sentences for the CLI, the workstation and the HTML report."""
    r, c = cost["refused"], cost["by_class"]
    if not r["n"]:
        return []
    if not cost.get("gate_on", True):
        return [
            "The scope gate was switched off for this validation (research use): every readable labelled "
            "film was assessed, so these figures do not show what the gate would cost here."
        ]
    if not r["k"]:
        return [
            f"The scope gate refused none of your {r['n']} labelled films (95% CI 0-{100 * r['ci95'][1]:.1f}%)."
        ]
    words = Counter()
    for name, k in cost["by_check"].items():
        words[check_words(name)] += k
    lo, hi = r["ci95"]
    lines = [
        f"The scope gate refused {r['k']} of your {r['n']} labelled films ({100 * r['value']:.1f}%; 95% CI "
        f"{100 * lo:.1f}-{100 * hi:.1f}): {c['pneumonia']['k']} of {c['pneumonia']['n']} pneumonia, "
        f"{c['normal']['k']} of {c['normal']['n']} normal ("
        + ", ".join(f"{w} {k}" for w, k in words.most_common())
        + "); each is listed under 'out of scope' with its reason.",
    ]
    by_tags = cost.get("tags_would_assess", 0)
    if by_tags:
        lines.append(
            f"{by_tags} of these refusals are of the kind a DICOM's own tags outweigh: sent as DICOM with a "
            "radiograph modality (CR/DX), chest, a frontal view (PA/AP) and a child's age, such a film is "
            "assessed whatever the learned gates or the distance check doubt, the doubt kept as a note "
            "(an adult's age is still refused)."
        )
    for key in SAID:
        s = cost["sensitivity_with_gate"].get(key)
        if s and s["n"]:
            lines.append(
                f"Counting refused pneumonia films as not flagged, the {s['name']} ({s['threshold']:.3f}) "
                f"flags {pct(s)}."
            )
    return lines
