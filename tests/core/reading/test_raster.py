"""Raster inputs: formats, bit depths, colour modes, EXIF orientation, broken files."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from pneumoscan.errors import LoadError
from pneumoscan.reading.loader import load_image
from tests.dicom_factory import gradient


@pytest.mark.parametrize(
    ("name", "mode", "tol"),
    [
        ("g.png", "L", 0),
        ("g.jpg", "L", 3),
        ("g.tif", "L", 0),
        ("g.bmp", "L", 0),
        ("rgb.png", "RGB", 1),
        ("rgb.jpg", "RGB", 3),
        ("rgba.png", "RGBA", 1),
        ("pal.png", "P", 2),
        ("la.png", "LA", 0),
    ],
)
def test_formats_and_modes_become_grayscale(tmp_path, name, mode, tol):
    g = gradient(80, 60)
    img = Image.fromarray(g)
    if mode == "P":
        img = img.convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    elif mode != "L":
        img = img.convert(mode)
    img.save(tmp_path / name)
    out = load_image(tmp_path / name)
    assert out.pixels.shape == (80, 60) and out.pixels.dtype == np.uint8
    err = np.abs(out.pixels.astype(int) - g)
    assert (err.mean() if name.endswith(".jpg") else err.max()) <= tol


def test_png_16_bit_keeps_depth(tmp_path):
    g = (gradient(40, 30).astype(np.uint16) * 257).astype(np.uint16)
    Image.fromarray(g).save(tmp_path / "g16.png")
    out = load_image(tmp_path / "g16.png")
    assert out.pixels.dtype == np.uint16 and out.meta["bits_stored"] == 16
    assert np.array_equal(out.pixels, g)


def test_exif_orientation_is_applied(tmp_path):
    g = gradient(40, 30)
    img = Image.fromarray(g)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 CW on display
    img.save(tmp_path / "o.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "o.jpg")
    assert out.pixels.shape == (30, 40)
    assert (out.meta["width"], out.meta["height"]) == (40, 30)
    expected = np.rot90(g, k=-1)
    assert np.abs(out.pixels.astype(int) - expected).mean() < 4


def test_jpeg_draft_mode_decodes_smaller_but_not_below_target(tmp_path):
    Image.fromarray(gradient(2000, 1600)).save(tmp_path / "big.jpg")
    out = load_image(tmp_path / "big.jpg", min_size=224)
    assert min(out.pixels.shape) >= 224 and out.pixels.shape[0] < 2000
    assert out.meta["width"] == 1600 and out.meta["height"] == 2000


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"hello, this is a radiology report\n", "Not an image"),
        (os.urandom(5000), "Not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "truncated or corrupt"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "truncated or corrupt"),
    ],
)
def test_broken_files_raise_load_error(tmp_path, content, fragment):
    (tmp_path / "bad.jpg").write_bytes(content)
    with pytest.raises(LoadError) as info:
        load_image(tmp_path / "bad.jpg")
    assert fragment in info.value.reason


def test_truncated_jpeg(tmp_path):
    Image.fromarray(gradient(400, 300)).save(tmp_path / "t.jpg")
    data = (tmp_path / "t.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(LoadError, match="truncated or corrupt"):
        load_image(tmp_path / "t.jpg")


def test_decompression_bomb_is_refused(tmp_path):
    Image.new("1", (12000, 12000)).save(tmp_path / "bomb.png")
    with pytest.raises(LoadError, match="too large"):
        load_image(tmp_path / "bomb.png")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(LoadError, match="not found"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(LoadError, match="folder"):
        load_image(tmp_path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    p = tmp_path / "locked.png"
    Image.fromarray(gradient()).save(p)
    p.chmod(0)
    with pytest.raises(LoadError, match="Permission denied"):
        load_image(p)


def test_unreadable_file_reason_via_mock(tmp_path, monkeypatch):
    """Root can read anything, so the permission path is also checked by simulation."""
    p = tmp_path / "locked.png"
    Image.fromarray(gradient()).save(p)
    import builtins

    real_open = builtins.open

    def deny(file, *a, **k):
        if str(file) == str(p):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", deny)
    with pytest.raises(LoadError, match="Permission denied"):
        load_image(p)
