"""Every registered cheap check refuses at least one reference input (so none is dead code),
and a clean frontal chest film passes them all."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.scope import REFUSE, cheap_checks
from pneumoscan.scope.pixels import PIXEL_CHECKS
from pneumoscan.scope.tags import TAG_CHECKS
from tests.core.scope.test_pixels import chest_phantom

FILM = chest_phantom()
DICOM = {"source_kind": "DICOM", "height": FILM.shape[0], "width": FILM.shape[1], "BodyPartExamined": "CHEST"}

# name -> (pixels, meta, the check that must refuse it)
REFERENCE = {
    "hip": (FILM, {**DICOM, "BodyPartExamined": "HIP"}, "body_part"),
    "lateral": (FILM, {**DICOM, "ViewPosition": "LL"}, "view"),
    "adult": (FILM, {**DICOM, "PatientAge": "051Y"}, "age"),
    "tiny": (FILM[:40, :40], {"source_kind": "PNG", "height": 40, "width": 40}, "size"),
    "blank": (np.zeros_like(FILM), {"source_kind": "PNG"}, "exposure"),
    "photo": (FILM, {"source_kind": "PNG", "colour": {"off_hue": 0.6, "chroma": 0.3}}, "colour"),
    "inverted": (255 - FILM, {"source_kind": "PNG"}, "inverted"),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_input_is_refused_by_its_check(name):
    pixels, meta, check = REFERENCE[name]
    refused = [c.check for c in cheap_checks(pixels, meta) if c.verdict == REFUSE]
    assert check in refused


def test_every_registered_check_refuses_some_reference_input():
    names = {fn.__name__.removeprefix("check_") for fn in TAG_CHECKS + PIXEL_CHECKS}
    assert names == {check for _, _, check in REFERENCE.values()}


def test_a_clean_frontal_film_passes_every_cheap_check():
    meta = {**DICOM, "PatientAge": "003Y", "ViewPosition": "AP"}
    assert [c.check for c in cheap_checks(FILM, meta) if c.verdict == REFUSE] == []
