"""DICOM tag checks: body part, view, age in every form real files use."""

from __future__ import annotations

import pytest

from pneumoscan.scope import NOT_RUN, NOTE, PASS, REFUSE, parse_age
from pneumoscan.scope.tags import check_age, check_body_part, check_view


def dicom(**tags) -> dict:
    return {"source_kind": "DICOM", **tags}


@pytest.mark.parametrize(
    "text, years",
    [
        ("005Y", 5.0),
        ("018M", 1.5),
        ("003W", 3 * 7 / 365.25),
        ("010D", 10 / 365.25),
        ("51", 51.0),
        ("051Y ", 51.0),
        ("6 years", 6.0),
        ("18 months", 1.5),
        ("2.5Y", 2.5),
        ("", None),
        ("abc", None),
        ("999Y", None),
    ],
)
def test_parse_age(text, years):
    got = parse_age(text)
    assert got == pytest.approx(years) if years is not None else got is None


@pytest.mark.parametrize(
    "tags, verdict, words",
    [
        ({"PatientAge": "051Y"}, REFUSE, "adult (from PatientAge)"),
        ({"PatientAge": "51"}, REFUSE, "adult (from PatientAge)"),
        ({"PatientAge": "018Y"}, REFUSE, "adult (from PatientAge)"),
        ({"PatientAge": "003Y"}, PASS, ""),
        ({"PatientAge": "005Y"}, PASS, ""),
        ({"PatientAge": "009Y"}, NOTE, "outside the training range"),
        ({"PatientAge": "006M"}, NOTE, "outside the training range"),
        (
            {"PatientAge": "", "PatientBirthDate": "19700101", "StudyDate": "20200101"},
            REFUSE,
            "adult (from birth and study dates)",
        ),
        ({"PatientAge": "", "PatientBirthDate": "20180301", "StudyDate": "20210301"}, PASS, ""),
        ({"PatientAge": ""}, NOT_RUN, "no age"),
        ({"PatientAge": "old"}, NOT_RUN, "unreadable"),
    ],
)
def test_age(tags, verdict, words):
    c = check_age(dicom(**tags))
    assert c.verdict == verdict and words in c.reason


@pytest.mark.parametrize("age, older", [("009Y", True), ("017Y", True), ("006M", False), ("000Y", False)])
def test_an_older_childs_note_says_which_way_the_score_leans(age, older):
    c = check_age(dicom(PatientAge=age))
    assert c.verdict == NOTE and ("older chests score higher" in c.reason) == older


@pytest.mark.parametrize(
    "tags, verdict, words",
    [
        ({"BodyPartExamined": "HIP"}, REFUSE, "other body part (HIP in BodyPartExamined)"),
        ({"BodyPartExamined": "KNEE DOE JOHN 1234"}, REFUSE, "other body part (KNEE in BodyPartExamined)"),
        ({"BodyPartExamined": "KNEE", "StudyDescription": "CHEST PA"}, REFUSE, "KNEE in BodyPartExamined"),
        ({"BodyPartExamined": "CHEST"}, PASS, ""),
        ({"BodyPartExamined": "", "StudyDescription": "XR HAND 2 VIEWS"}, REFUSE, "HAND in StudyDescription"),
        ({"BodyPartExamined": "", "ProtocolName": "L-SPINE AP"}, REFUSE, "SPINE in ProtocolName"),
        ({"BodyPartExamined": "", "StudyDescription": "CHEST AND ABDOMEN"}, PASS, ""),
        ({"BodyPartExamined": "THORAX", "SeriesDescription": "Thorax p.a."}, PASS, ""),
        ({}, NOT_RUN, "no body part"),
    ],
)
def test_body_part(tags, verdict, words):
    c = check_body_part(dicom(**tags))
    assert c.verdict == verdict and words in c.reason


@pytest.mark.parametrize(
    "tags, verdict",
    [
        ({"ViewPosition": "LL"}, REFUSE),
        ({"ViewPosition": "RL"}, REFUSE),
        ({"ViewPosition": "LATERAL"}, REFUSE),
        ({"ViewPosition": "PA"}, PASS),
        ({"ViewPosition": "AP"}, PASS),
        ({"ViewPosition": "", "SeriesDescription": "CHEST LAT"}, REFUSE),
        ({"ViewPosition": "", "SeriesDescription": "CHEST PA"}, NOT_RUN),
    ],
)
def test_view(tags, verdict):
    assert check_view(dicom(**tags)).verdict == verdict


@pytest.mark.parametrize("check", [check_age, check_body_part, check_view])
def test_raster_files_are_not_judged_by_tags(check):
    c = check({"source_kind": "PNG"})
    assert c.verdict == NOT_RUN and "no DICOM tags" in c.reason


@pytest.mark.parametrize(
    "tags, secrets",
    [
        ({"PatientAge": "094Y"}, ["94", "years"]),
        ({"PatientAge": "009Y"}, ["9 years", "009Y"]),
        ({"PatientAge": "", "PatientBirthDate": "19320101", "StudyDate": "20260101"}, ["94", "1932"]),
        ({"PatientAge": "ninety-four"}, ["ninety"]),
        ({"BodyPartExamined": "KNEE DOE JOHN 1234"}, ["DOE", "JOHN", "1234"]),
    ],
)
def test_reasons_never_repeat_the_source_text(tags, secrets):
    """Issue 17.8: reasons reach banners, SR text, PDFs and CSV cells, also under --no-phi."""
    meta = dicom(**tags)
    reasons = " ".join(check(meta).reason for check in (check_age, check_body_part))
    assert reasons.strip()
    for secret in secrets:
        assert secret not in reasons, reasons
