"""DICOMs built with pydicom: syntaxes, LUT order, MONOCHROME1, padding, metadata."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.errors import LoadError
from pneumoscan.reading.loader import load_image
from pneumoscan.scope.modality import check_modality
from tests.dicom_factory import SYNTAXES, gradient, make_dataset, save, write_dicom

LOSSLESS = [s for s in SYNTAXES if s != "jpeg"]


def _scaled(g: np.ndarray, top: int) -> np.ndarray:
    return g.astype(np.float64) / top * 255.0


@pytest.mark.parametrize("syntax", list(SYNTAXES))
def test_every_syntax_decodes_8bit(tmp_path, syntax):
    g = gradient()
    img = load_image(write_dicom(tmp_path / "x.dcm", g, syntax, window=(128, 256)))
    tol = 12 if syntax == "jpeg" else 0.51
    assert np.abs(img.pixels.astype(float) - g).max() <= tol
    assert str(SYNTAXES[syntax]) in img.meta["transfer_syntax"]


@pytest.mark.parametrize("syntax", [s for s in LOSSLESS])
def test_every_lossless_syntax_decodes_16bit(tmp_path, syntax):
    g = gradient(dtype=np.uint16)
    img = load_image(write_dicom(tmp_path / "x.dcm", g, syntax, bits_stored=12, window=(2048, 4096)))
    assert img.meta["bits_stored"] == 12
    assert np.abs(img.pixels.astype(float) - _scaled(g, 4095)).max() <= 0.51


@pytest.mark.parametrize("syntax", ["implicit", "explicit", "bigendian"])
def test_no_file_meta_and_no_extension(tmp_path, syntax):
    g = gradient()
    path = write_dicom(tmp_path / "IMG0001", g, syntax, no_meta=True, window=(128, 256))
    assert path.read_bytes()[128:132] != b"DICM"
    img = load_image(path)
    assert np.abs(img.pixels.astype(float) - g).max() <= 0.51
    assert any("File Meta" in n for n in img.notes)


def test_monochrome1_is_the_inverse_of_monochrome2(tmp_path):
    g = gradient(dtype=np.uint16)
    m2 = load_image(write_dicom(tmp_path / "m2", g, bits_stored=12, window=(2048, 4096)))
    m1 = load_image(
        write_dicom(tmp_path / "m1", g, bits_stored=12, window=(2048, 4096), photometric="MONOCHROME1")
    )
    assert np.abs(m1.pixels.astype(int) + m2.pixels.astype(int) - 255).max() <= 1


def test_monochrome1_inverted_after_window_not_before(tmp_path):
    """A narrow window on MONOCHROME1: values above the window are black, below white."""
    g = np.array([[0, 1000, 2000, 3000, 4000]] * 4, dtype=np.uint16)
    img = load_image(
        write_dicom(tmp_path / "m1", g, bits_stored=12, window=(2000, 1000), photometric="MONOCHROME1")
    )
    row = img.pixels[0]
    assert row[0] == 255 and row[1] == 255 and row[3] == 0 and row[4] == 0
    assert 100 < row[2] < 155


def test_rescale_then_window(tmp_path):
    """Stored 0..4000 with slope 0.5 and intercept -1000 -> -1000..1000; window 0/1000 shows 0..500."""
    g = np.array([[0, 1000, 2000, 2500, 3000, 4000]] * 3, dtype=np.uint16)
    path = write_dicom(tmp_path / "r", g, bits_stored=12, slope=0.5, intercept=-1000, window=(250, 500))
    row = load_image(path).pixels[0]
    assert row[0] == 0 and row[1] == 0  # -1000, -500: below the window
    assert row[2] < 5 and 120 < row[3] < 135 and row[4] > 250 and row[5] == 255  # 0, 250, 500, 1000


def test_multi_valued_window_uses_the_first(tmp_path):
    g = np.array([[0, 100, 200, 300]] * 2, dtype=np.uint16)
    ds = make_dataset(g, bits_stored=12)
    ds.WindowCenter, ds.WindowWidth = [150, 2000], [301, 4000]
    img = load_image(save(ds, tmp_path / "w.dcm"))
    assert img.pixels[0, 0] == 0 and img.pixels[0, 3] == 255
    assert any("first was used" in n for n in img.notes)


def test_voi_lut_sequence(tmp_path):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    g = np.array([[0, 1, 2, 3]] * 2, dtype=np.uint16)
    ds = make_dataset(g, bits_stored=12)
    item = Dataset()
    item.LUTDescriptor = [4, 0, 8]
    item.LUTData = [0, 255, 10, 20]
    item["LUTData"].VR = "US"
    ds.VOILUTSequence = Sequence([item])
    img = load_image(save(ds, tmp_path / "lut.dcm"))
    assert list(img.pixels[0]) == [0, 255, 10, 20]


def test_percentile_window_ignores_padding(tmp_path):
    g = gradient(dtype=np.uint16) + 1000
    g[:, :8] = 0  # padding border
    img = load_image(write_dicom(tmp_path / "p", g, bits_stored=12, padding_value=0))
    inner = img.pixels[:, 8:]
    assert inner.max() >= 250 and inner.min() <= 5  # the window spans the anatomy, not the border
    assert (img.pixels[:, :8] == 0).all()
    assert any("percentile" in n for n in img.notes)


def test_metadata_for_the_report(tmp_path):
    img = load_image(write_dicom(tmp_path / "m", gradient(), window=(128, 256)))
    meta = img.meta
    assert meta["PatientID"] == "TEST001" and meta["PatientName"] == "Test^Patient"
    assert meta["StudyDate"] == "20260101" and meta["Modality"] == "DX" and meta["ViewPosition"] == "AP"
    assert meta["width"] == 48 and meta["height"] == 64 and meta["photometric"] == "MONOCHROME2"


def test_rgb_dicom_becomes_grayscale(tmp_path):
    rgb = np.stack([gradient()] * 3, axis=-1)
    img = load_image(write_dicom(tmp_path / "rgb", rgb, "jpeg"))
    assert img.pixels.ndim == 2


@pytest.mark.parametrize("modality", ["CT", "MR", "US", "NM", "PT", "MG"])
def test_non_radiograph_modalities_are_skipped(tmp_path, modality):
    with pytest.raises(LoadError) as info:
        load_image(write_dicom(tmp_path / "x", gradient(), modality=modality), header_check=check_modality)
    assert info.value.status == "skipped" and modality in info.value.reason


@pytest.mark.parametrize("modality", ["CR", "DX"])
def test_radiograph_modalities_load(tmp_path, modality):
    assert load_image(write_dicom(tmp_path / "x", gradient(), modality=modality)).pixels.size


def test_truncated_pixel_data_is_an_error(tmp_path):
    path = write_dicom(tmp_path / "t.dcm", gradient(256, 256))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30000])
    with pytest.raises(LoadError) as info:
        load_image(path)
    assert info.value.status == "error" and "truncated or corrupt" in info.value.reason


def test_huge_declared_size_is_refused_before_decoding(tmp_path):
    ds = make_dataset(gradient())
    ds.Rows, ds.Columns = 20000, 20000
    with pytest.raises(LoadError) as info:
        load_image(save_raw(ds, tmp_path / "big.dcm"))
    assert "too large" in info.value.reason


def save_raw(ds, path):
    ds.save_as(path, enforce_file_format=True)
    return path


def test_jpeg_dicom_draft_decode_matches_full_decode_after_preprocess(tmp_path):
    from pneumoscan.model.preprocess import preprocess

    big = np.kron(gradient(250, 200), np.ones((4, 4), np.uint8))  # 1000 x 800
    path = write_dicom(tmp_path / "big.dcm", big, "jpeg", window=(127.5, 256))
    fast = load_image(path, min_size=224)
    full = load_image(path)
    assert fast.pixels.shape[0] < full.pixels.shape[0] and min(fast.pixels.shape) >= 224
    assert fast.meta["width"] == full.meta["width"] == 800
    assert np.abs(preprocess(fast.pixels) - preprocess(full.pixels)).mean() < 0.03
