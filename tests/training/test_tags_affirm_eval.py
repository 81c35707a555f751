"""The wrapper behind ``training.tags_affirm_eval``: its DICOMs read back with the tags it means to send."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.reading.loader import load_image
from pneumoscan.scope import NOT_RUN, PASS
from pneumoscan.scope.affirm import check_affirmed
from tests.dicom_factory import gradient
from training.tags_affirm_eval import child_chest, pixels_of, write_dicom


@pytest.mark.parametrize(
    "change, verdict",
    [({}, PASS), ({"ViewPosition": ""}, NOT_RUN), ({"PatientAge": "045Y"}, NOT_RUN)],
)
def test_wrapped_films_read_back_with_their_tags(tmp_path, change, verdict):
    px = gradient(300, 240)
    path = write_dicom(px, tmp_path / "f.dcm", {**child_chest(6.4), **change})
    img = load_image(path)
    assert img.meta["Modality"] == "CR" and img.meta["source_kind"] == "DICOM"
    assert img.meta["PatientAge"] == change.get("PatientAge", "006Y")
    assert img.pixels.shape == px.shape
    assert check_affirmed(img.meta).verdict == verdict


def test_turned_films_are_turned(tmp_path):
    from PIL import Image

    px = gradient(120, 80)
    Image.fromarray(px).save(tmp_path / "f.png")
    assert pixels_of(tmp_path / "f.png", rotate=False).shape == (120, 80)
    assert np.array_equal(pixels_of(tmp_path / "f.png", rotate=True), np.rot90(px))
