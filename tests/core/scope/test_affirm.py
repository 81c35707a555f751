"""The tags' joint word: which files it covers, and which learned refusals give way to it."""

from __future__ import annotations

import math

import pytest

from pneumoscan.scope import NOT_RUN, NOTE, PASS, REFUSE, CheckResult
from pneumoscan.scope.affirm import NAME, check_affirmed, defer_to_tags

CHILD_CHEST = {
    "source_kind": "DICOM",
    "Modality": "CR",
    "BodyPartExamined": "CHEST",
    "ViewPosition": "PA",
    "PatientAge": "6",
}


@pytest.mark.parametrize(
    "change, verdict, words",
    [
        ({}, PASS, "(CR, PA)"),
        ({"Modality": "DX", "ViewPosition": "AP", "PatientAge": "018M"}, PASS, "(DX, AP)"),
        ({"BodyPartExamined": "", "StudyDescription": "XR CHEST 1 VIEW"}, PASS, "frontal chest"),
        ({"PatientAge": "", "PatientBirthDate": "20180301", "StudyDate": "20240301"}, PASS, "a child's"),
        ({"source_kind": "PNG"}, NOT_RUN, "no DICOM tags"),
        ({"Modality": "OT"}, NOT_RUN, "a radiograph modality"),
        ({"Modality": ""}, NOT_RUN, "a radiograph modality"),
        ({"BodyPartExamined": ""}, NOT_RUN, "chest"),
        ({"BodyPartExamined": "ABDOMEN"}, NOT_RUN, "chest"),
        ({"ViewPosition": "LL"}, NOT_RUN, "a frontal view"),
        ({"ViewPosition": ""}, NOT_RUN, "a frontal view"),
        ({"PatientAge": "045Y"}, NOT_RUN, "a child's age"),
        ({"PatientAge": ""}, NOT_RUN, "a child's age"),
        ({"Modality": "OT", "PatientAge": ""}, NOT_RUN, "a radiograph modality (CR/DX), a child's age"),
    ],
)
def test_which_files_the_tags_affirm(change, verdict, words):
    c = check_affirmed({**CHILD_CHEST, **change})
    assert c.check == NAME and c.verdict == verdict and words in c.reason
    assert "6" not in c.reason and "year" not in c.reason  # no age in any text (--no-phi)


AFFIRMED = [check_affirmed(CHILD_CHEST)]
NOT_AFFIRMED = [check_affirmed({**CHILD_CHEST, "PatientAge": ""})]


def gate(label: str) -> CheckResult:
    return CheckResult("classifier", REFUSE, f"{label} (gate score 0.03 < 0.62)", 0.03, label)


@pytest.mark.parametrize(
    "learned, verdict",
    [
        (gate("adult_chest"), NOTE),
        (gate("not_radiograph"), NOTE),
        (CheckResult("classifier_hospitals", REFUSE, "adult", 0.05, "adult_chest"), NOTE),
        (CheckResult("distance", REFUSE, "unlike the training films (distance 54 > 34)", 54.0), NOTE),
        # BodyPartExamined is often wrong; orientation is not in the tags; a broken feature vector
        # is not a judgement about the film
        (gate("other_radiograph"), REFUSE),
        (gate("inverted_or_rotated"), REFUSE),
        (CheckResult("distance", REFUSE, "unlike the training films (distance nan > 34)", math.nan), REFUSE),
        (CheckResult("classifier", PASS, score=0.9), PASS),
        (CheckResult("classifier", NOT_RUN, "gate model failed"), NOT_RUN),
    ],
)
def test_affirming_tags_turn_contradicted_refusals_into_notes(learned, verdict):
    (after,) = defer_to_tags(AFFIRMED, [learned])
    assert after.verdict == verdict and after.check == learned.check and after.score is learned.score
    if verdict == NOTE:
        assert after.reason.startswith(learned.reason) and "DICOM tags say a child's" in after.reason
    (untouched,) = defer_to_tags(NOT_AFFIRMED, [learned])
    assert untouched == learned
