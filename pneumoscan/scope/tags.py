"""DICOM tag checks: body part, view and age. Each of them can only refuse, never admit.

BodyPartExamined is wrong or missing in a sizeable share of real files, so a
chest tag alone never lets an image skip the pixel and learned checks; a tag
naming another body part, a lateral view or an adult is evidence enough to
refuse. Only all four tags together (modality, chest, frontal view, a child's
age) outweigh a learned check's doubt: ``scope.affirm``.
"""

from __future__ import annotations

import re
from typing import Any

from pneumoscan.scope.result import NOT_RUN, NOTE, PASS, REFUSE, CheckResult

CHEST_WORDS = {"CHEST", "THORAX", "THORACIC", "LUNG", "LUNGS", "CXR", "TORAX", "THORAX_PA", "POITRINE"}
OTHER_PARTS = {
    "ABDOMEN": "ABDOMEN",
    "ABD": "ABDOMEN",
    "KUB": "ABDOMEN",
    "PELVIS": "PELVIS",
    "HIP": "HIP",
    "HIPS": "HIP",
    "FEMUR": "FEMUR",
    "KNEE": "KNEE",
    "LEG": "LEG",
    "TIBIA": "LEG",
    "FIBULA": "LEG",
    "ANKLE": "ANKLE",
    "FOOT": "FOOT",
    "TOE": "FOOT",
    "HEEL": "FOOT",
    "CALCANEUS": "FOOT",
    "HAND": "HAND",
    "FINGER": "HAND",
    "THUMB": "HAND",
    "WRIST": "WRIST",
    "FOREARM": "FOREARM",
    "ELBOW": "ELBOW",
    "HUMERUS": "HUMERUS",
    "ARM": "ARM",
    "SHOULDER": "SHOULDER",
    "SKULL": "SKULL",
    "HEAD": "HEAD",
    "BRAIN": "HEAD",
    "SINUS": "SINUS",
    "SINUSES": "SINUS",
    "FACE": "FACE",
    "MANDIBLE": "JAW",
    "JAW": "JAW",
    "DENTAL": "DENTAL",
    "TEETH": "DENTAL",
    "TOOTH": "DENTAL",
    "PANORAMIC": "DENTAL",
    "OPG": "DENTAL",
    "SPINE": "SPINE",
    "CSPINE": "SPINE",
    "TSPINE": "SPINE",
    "LSPINE": "SPINE",
    "SACRUM": "SPINE",
    "COCCYX": "SPINE",
    "NECK": "NECK",
    "BREAST": "BREAST",
    "MAMMO": "BREAST",
    "EXTREMITY": "EXTREMITY",
    "LOWEXM": "EXTREMITY",
    "UPPEXM": "EXTREMITY",
}
DESCRIPTION_TAGS = ("StudyDescription", "SeriesDescription", "ProtocolName")
LATERAL_VIEWS = {"LL", "RL", "LATERAL", "LAT"}
ADULT_YEARS = 18.0
TRAINING_AGES = (1.0, 5.0)  # years, inclusive: the paediatric data set's range

_WORD = re.compile(r"[A-Z]+")
_AGE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([DWMY]?)\s*$", re.IGNORECASE)
_AGE_WORDS = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(DAYS?|WEEKS?|WKS?|MONTHS?|MOS?|YEARS?|YRS?)\s*$", re.I)
_UNIT_YEARS = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0, "": 1.0}


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.upper().replace("-", "")))


def parse_age(text: str) -> float | None:
    """Years from a PatientAge in the forms real files use: ``005Y``, ``018M``, ``003W``, ``51``, ``6 years``."""
    if not text:
        return None
    m = _AGE.match(text)
    unit = ""
    if m:
        unit = m.group(2).upper()
    else:
        m = _AGE_WORDS.match(text)
        if not m:
            return None
        unit = m.group(2)[0].upper()
    value = float(m.group(1).replace(",", "."))
    years = value * _UNIT_YEARS[unit]
    return years if 0 <= years < 130 else None


def age_from_dates(birth: str, study: str) -> float | None:
    """Age in years from PatientBirthDate and StudyDate (YYYYMMDD), when PatientAge is absent."""
    import datetime as dt

    try:
        b = dt.datetime.strptime(birth.strip()[:8], "%Y%m%d")
        s = dt.datetime.strptime(study.strip()[:8], "%Y%m%d")
    except ValueError:
        return None
    years = (s - b).days / 365.25
    return years if 0 <= years < 130 else None


def check_body_part(meta: dict[str, Any]) -> CheckResult:
    name = "body_part"
    if meta.get("source_kind") != "DICOM":
        return CheckResult(name, NOT_RUN, "no DICOM tags in this file")
    fields = {tag: str(meta.get(tag, "") or "") for tag in ("BodyPartExamined", *DESCRIPTION_TAGS)}
    if not any(fields.values()):
        return CheckResult(name, NOT_RUN, "no body part or description tags")
    chest_anywhere = any(words(v) & CHEST_WORDS for v in fields.values())
    for tag, value in fields.items():
        found = sorted({OTHER_PARTS[w] for w in words(value) if w in OTHER_PARTS})
        if not found:
            continue
        if tag == "BodyPartExamined" and not (words(value) & CHEST_WORDS):
            # our word for it, never the tag's text: free text there may hold a name (--no-phi)
            return CheckResult(name, REFUSE, f"other body part ({found[0]} in BodyPartExamined)")
        if not chest_anywhere:
            return CheckResult(name, REFUSE, f"other body part ({found[0]} in {tag})")
    return CheckResult(name, PASS)


def check_view(meta: dict[str, Any]) -> CheckResult:
    name = "view"
    if meta.get("source_kind") != "DICOM":
        return CheckResult(name, NOT_RUN, "no DICOM tags in this file")
    view = str(meta.get("ViewPosition", "") or "").strip().upper()
    if view in LATERAL_VIEWS:
        return CheckResult(
            name, REFUSE, f"lateral view ({view} in ViewPosition); only frontal films are assessed"
        )
    if not view:
        series = " ".join(str(meta.get(t, "") or "") for t in ("SeriesDescription", "ProtocolName"))
        w = words(series)
        if w & {"LAT", "LATERAL", "LL", "RL"} and not w & {"PA", "AP", "FRONTAL"}:
            return CheckResult(name, REFUSE, "lateral view (named in the series description)")
        return CheckResult(name, NOT_RUN, "no ViewPosition tag")
    return CheckResult(name, PASS)


def patient_years(meta: dict[str, Any]) -> tuple[float | None, str]:
    """The patient's age in years and where it came from (PatientAge, else birth and study dates)."""
    years = parse_age(str(meta.get("PatientAge", "") or ""))
    if years is not None:
        return years, "PatientAge"
    years = age_from_dates(str(meta.get("PatientBirthDate", "")), str(meta.get("StudyDate", "")))
    return years, "birth and study dates"


def check_age(meta: dict[str, Any]) -> CheckResult:
    name = "age"
    if meta.get("source_kind") != "DICOM":
        return CheckResult(name, NOT_RUN, "no DICOM tags in this file")
    raw = str(meta.get("PatientAge", "") or "")
    years, source = patient_years(meta)
    if years is None:
        why = "unreadable PatientAge" if raw.strip() else "no age in the file"
        return CheckResult(name, NOT_RUN, f"{why}")
    lo, hi = TRAINING_AGES
    if years >= ADULT_YEARS:
        return CheckResult(
            name,
            REFUSE,
            f"adult (from {source}): outside the validated population (children 1-5)",
            years,
        )
    if years < lo or years >= hi + 1:
        # Measured (model card, "Age"): the score rises with how old a chest looks, so an older
        # child's normal film sits nearer the threshold; the technician should know which way.
        older = " (older chests score higher: model card, Age)" if years >= hi + 1 else ""
        return CheckResult(
            name,
            NOTE,
            f"age (from {source}) outside the training range (1-5 years): "
            f"assessed, but the model's figures may not hold{older}",
            years,
        )
    return CheckResult(name, PASS, score=years)


TAG_CHECKS = (check_body_part, check_view, check_age)
