"""A DICOM whose own tags say "a child's frontal chest radiograph" is not refused on a learned guess.

The learned gates and the feature distance judge pixels only: they exist for files without tags
(JPEG, PNG) and learned what the training hospitals' films look like. A real child's chest film
from another hospital can look "adult" or "not a radiograph" to them (issue 18: a 6-year-old's CR
DICOM refused as not a radiograph). When all four tags agree (a radiograph modality, chest, a
frontal view, a child's age), a learned refusal that the reliable ones contradict becomes a note:
the film is assessed and the report keeps the doubt. Reliable means written by the device or the
registration: the age contradicts "adult", the modality contradicts "not a radiograph", and the
feature distance ("unlike the training films") is exactly the doubt a note should carry.
BodyPartExamined is often wrong, so "another body part" still refuses; tags say nothing about
orientation, so "inverted or rotated" and every pixel check still refuse; a tag that refuses
(another body part, lateral, adult) is untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pneumoscan.scope.distance import NAME as DISTANCE
from pneumoscan.scope.modality import RADIOGRAPH_MODALITIES
from pneumoscan.scope.result import NOT_RUN, NOTE, PASS, REFUSE, CheckResult
from pneumoscan.scope.tags import (
    ADULT_YEARS,
    CHEST_WORDS,
    DESCRIPTION_TAGS,
    check_body_part,
    patient_years,
    words,
)

NAME = "tags_affirm"
FRONTAL_VIEWS = {"PA", "AP"}
#: Learned classes that reliable tags contradict: the age ("adult"), the modality ("not a radiograph").
CONTRADICTED = frozenset({"adult_chest", "not_radiograph"})
CAVEAT = (
    "assessed because its DICOM tags say a child's frontal chest radiograph; the model's figures may not hold"
)


def check_affirmed(meta: dict[str, Any]) -> CheckResult:
    """Pass when modality, body part, view and age all say a child's frontal chest radiograph."""
    if meta.get("source_kind") != "DICOM":
        return CheckResult(NAME, NOT_RUN, "no DICOM tags in this file")
    modality = str(meta.get("Modality", "") or "").strip().upper()
    view = words(str(meta.get("ViewPosition", "") or "")) & FRONTAL_VIEWS
    chest = any(
        words(str(meta.get(tag, "") or "")) & CHEST_WORDS for tag in ("BodyPartExamined", *DESCRIPTION_TAGS)
    )
    years, _ = patient_years(meta)
    missing = [
        what
        for what, ok in (
            ("a radiograph modality (CR/DX)", modality in RADIOGRAPH_MODALITIES),
            ("chest", chest and check_body_part(meta).verdict == PASS),
            ("a frontal view (PA/AP)", bool(view)),
            ("a child's age", years is not None and years < ADULT_YEARS),
        )
        if not ok
    ]
    if missing:
        return CheckResult(NAME, NOT_RUN, f"tags do not say {', '.join(missing)}")
    # the age stays out of the text (``--no-phi``): "a child" is all a report needs
    return CheckResult(NAME, PASS, f"tags say a child's frontal chest radiograph ({modality}, {min(view)})")


def contradicted(c: CheckResult) -> bool:
    """A learned "adult" or "not a radiograph", or a finite feature distance: what affirming tags outweigh."""
    return c.label in CONTRADICTED or (c.check == DISTANCE and c.score is not None and np.isfinite(c.score))


def defer_to_tags(cheap: list[CheckResult], learned: list[CheckResult]) -> list[CheckResult]:
    """``learned`` with the refusals the affirming tags contradict turned into notes."""
    if not any(c.check == NAME and c.verdict == PASS for c in cheap):
        return learned
    out = []
    for c in learned:
        if c.verdict == REFUSE and contradicted(c):
            c = CheckResult(c.check, NOTE, f"{c.reason}: {CAVEAT}", c.score, c.label)
        out.append(c)
    return out
