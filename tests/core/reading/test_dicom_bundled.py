"""Every file pydicom ships in its wheel: each loads or fails with the expected reason."""

from __future__ import annotations

from pathlib import Path

import pydicom.data
import pytest

from pneumoscan.errors import LoadError
from pneumoscan.reading.dicom import load_dicom
from pneumoscan.reading.loader import load_image
from pneumoscan.scope.modality import check_modality

TEST_FILES = Path(pydicom.data.get_testdata_file("CT_small.dcm")).parent
NOT_RADIOGRAPH = "is not a projection radiograph"
NO_IMAGE = "DICOM object without an image"
NOT_READABLE = "Not an image or DICOM file"
NO_ROWS = "no rows or columns"

# (status, reason fragment, decodes when the modality gate is off)
EXPECTED: dict[str, tuple[str, str, bool]] = {
    "693_J2KI.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "CT_small.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "ExplVR_BigEnd.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "ExplVR_BigEndNoMeta.dcm": ("skipped", NO_IMAGE, False),
    "ExplVR_LitEndNoMeta.dcm": ("skipped", NO_IMAGE, False),
    "GDCMJ2K_TextGBR.dcm": ("ok", "", True),
    "J2K_pixelrep_mismatch.dcm": ("skipped", NOT_RADIOGRAPH, True),
    # a JPEG stream only some decoders accept; the error must name the syntax
    "JPEG-lossy.dcm": ("skipped", NOT_RADIOGRAPH, False),
    "JPEG2000-embedded-sequence-delimiter.dcm": ("skipped", NOT_RADIOGRAPH, False),
    "JPEG2000.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "JPEGLSNearLossless_08.dcm": ("ok", "", True),
    "JPEGLSNearLossless_16.dcm": ("ok", "", True),
    "JPGExtended.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_RLE.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_bigendian.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_expb.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_implicit.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_jp2klossless.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_jpeg_ls_lossless.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_small_padded.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "MR_truncated.dcm": ("skipped", NOT_RADIOGRAPH, False),
    "README.txt": ("error", NOT_READABLE, False),
    "UN_sequence.dcm": ("skipped", NO_IMAGE, False),
    "badVR.dcm": ("skipped", NOT_RADIOGRAPH, False),
    "crayons.icc": ("error", NOT_READABLE, False),
    "empty_charset_LEI.dcm": ("skipped", NO_IMAGE, False),
    "examples_jpeg2k.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "examples_overlay.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "examples_palette.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "examples_rgb_color.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "examples_ybr_color.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "image_dfl.dcm": ("ok", "", True),
    "liver_1frame.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "liver_expb_1frame.dcm": ("skipped", NOT_RADIOGRAPH, True),
    "meta_missing_tsyntax.dcm": ("error", NO_ROWS, False),
    "nested_priv_SQ.dcm": ("error", NO_ROWS, False),
    "no_meta.dcm": ("error", NOT_READABLE, False),
    "no_meta_group_length.dcm": ("skipped", NO_IMAGE, False),
    "priv_SQ.dcm": ("skipped", NO_IMAGE, False),
    "reportsi.dcm": ("skipped", NO_IMAGE, False),
    "reportsi_with_empty_number_tags.dcm": ("skipped", NO_IMAGE, False),
    "rtplan.dcm": ("skipped", NO_IMAGE, False),
    "rtplan.dump": ("error", NOT_READABLE, False),
    "rtplan_truncated.dcm": ("skipped", NO_IMAGE, False),
    "rtstruct.dcm": ("skipped", NO_IMAGE, False),
    "rtstruct.dump": ("error", NOT_READABLE, False),
    "test-SR.dcm": ("skipped", NO_IMAGE, False),
    "test1.json": ("error", NOT_READABLE, False),
    "test_PN.json": ("error", NOT_READABLE, False),
    "waveform_ecg.dcm": ("skipped", NO_IMAGE, False),
    "zipMR.gz": ("error", NOT_READABLE, False),
}
for _name in (
    "rtdose",
    "rtdose_1frame",
    "rtdose_expb",
    "rtdose_expb_1frame",
    "rtdose_rle",
    "rtdose_rle_1frame",
):
    EXPECTED[f"{_name}.dcm"] = ("skipped", NOT_RADIOGRAPH, True)
OK_PREFIXES = ("SC_",)  # secondary-capture colour images: all decode to grayscale

ALL_FILES = sorted(p.name for p in TEST_FILES.iterdir() if p.is_file())


def expected_for(name: str) -> tuple[str, str, bool] | None:
    if name in EXPECTED:
        return EXPECTED[name]
    if name.startswith(OK_PREFIXES) and name.endswith(".dcm"):
        return ("ok", "", True)
    return None


def test_the_table_covers_the_bundled_files():
    unknown = [n for n in ALL_FILES if expected_for(n) is None]
    assert len(ALL_FILES) > 60
    assert unknown == [], f"new pydicom test files without an expectation: {unknown}"


@pytest.mark.parametrize("name", ALL_FILES)
def test_bundled_file(name: str):
    status, fragment, decodes = expected_for(name) or ("", "", False)
    path = TEST_FILES / name
    try:
        img = load_image(path, header_check=check_modality)
    except LoadError as exc:
        assert exc.status == status, exc.reason
        assert fragment in exc.reason
        if decodes:
            ungated = load_dicom(path)
            assert ungated.pixels.ndim == 2 and ungated.pixels.size > 0
    else:
        assert status == "ok", f"{name} loaded but should be {status}: {fragment}"
        assert img.pixels.ndim == 2 and img.pixels.dtype.kind == "u"
        assert img.meta["source_kind"] == "DICOM"
        assert img.meta["width"] == img.pixels.shape[1]


@pytest.mark.parametrize("name", ["JPEG-lossy.dcm", "JPEG2000-embedded-sequence-delimiter.dcm"])
def test_undecodable_syntax_is_named(name: str):
    with pytest.raises(LoadError) as info:
        load_dicom(TEST_FILES / name)
    assert "Transfer syntax JPEG" in info.value.reason and "1.2.840.10008.1.2.4." in info.value.reason


def test_multiframe_uses_first_frame_and_says_so():
    img = load_image(TEST_FILES / "SC_rgb_rle_2frame.dcm")
    assert any("first frame" in n for n in img.notes)
    assert img.pixels.shape == (100, 100)
