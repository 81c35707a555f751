"""Pixel checks: size and shape, blank and saturated, colour, inverted."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pneumoscan.reading.loader import load_image
from pneumoscan.scope import PASS, REFUSE, cheap_checks
from pneumoscan.scope.pixels import PIXEL_CHECKS, check_colour, check_exposure, check_inverted, check_size


def chest_phantom(h: int = 300, w: int = 260) -> np.ndarray:
    """Bright body with a brighter mediastinum and two dark lung fields, like a frontal film."""
    rng = np.random.default_rng(1)
    img = np.full((h, w), 40.0)
    img[int(h * 0.1) :, int(w * 0.08) : int(w * 0.92)] = 150
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    for cx in (0.3, 0.7):
        img[((x - cx) / 0.15) ** 2 + ((y - 0.45) / 0.3) ** 2 < 1] = 70
    img[:, int(w * 0.43) : int(w * 0.57)] = np.maximum(img[:, int(w * 0.43) : int(w * 0.57)], 200)
    return np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)


def meta_of(px: np.ndarray) -> dict:
    return {"source_kind": "PNG", "height": px.shape[0], "width": px.shape[1]}


@pytest.mark.parametrize(
    "pixels, words",
    [
        (np.zeros((300, 300), np.uint8), "blank or constant"),
        (np.full((300, 300), 255, np.uint8), "blank or constant"),
        (np.full((300, 300), 30000, np.uint16), "blank or constant"),
        (np.where(np.arange(300 * 300).reshape(300, 300) % 50 == 0, 255, 0).astype(np.uint8), "saturated"),
    ],
    ids=["black", "white", "constant16", "saturated"],
)
def test_exposure_refuses(pixels, words):
    c = check_exposure(pixels, meta_of(pixels))
    assert c.verdict == REFUSE and words in c.reason


@pytest.mark.parametrize(
    "shape, words", [((1, 100000), "too small"), ((40, 40), "too small"), ((100, 400), "shape")], ids=str
)
def test_size_refuses(shape, words):
    px = np.zeros(shape, np.uint8)
    c = check_size(px, meta_of(px))
    assert c.verdict == REFUSE and words in c.reason


def test_size_uses_the_file_size_not_the_reduced_decode():
    px = np.zeros((30, 30), np.uint8)
    assert check_size(px, {"height": 1200, "width": 1000}).verdict == PASS


def test_phantom_passes_every_pixel_check_and_its_inverse_is_refused():
    px = chest_phantom()
    assert all(check(px, meta_of(px)).verdict == PASS for check in PIXEL_CHECKS)
    c = check_inverted(255 - px, meta_of(px))
    assert c.verdict == REFUSE and "inverted" in c.reason


def test_colour_photo_refused_tinted_film_assessed(tmp_path):
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    film = chest_phantom().astype(np.float32)
    tint = np.stack([film, film * 0.85, film * 0.65], axis=-1).astype(np.uint8)  # sepia print of a film
    Image.fromarray(tint).save(tmp_path / "tinted.jpg", quality=90)
    a, b = load_image(tmp_path / "photo.png"), load_image(tmp_path / "tinted.jpg", min_size=64)
    assert check_colour(a.pixels, a.meta).verdict == REFUSE
    got = check_colour(b.pixels, b.meta)
    assert got.verdict == PASS and "tint" in got.reason


def test_grayscale_file_carries_no_colour_measure(tmp_path):
    Image.fromarray(chest_phantom()).save(tmp_path / "g.png")
    img = load_image(tmp_path / "g.png")
    assert "colour" not in img.meta
    pixel_checks = {"size", "exposure", "colour", "inverted"}
    assert [c.verdict for c in cheap_checks(img.pixels, img.meta) if c.check in pixel_checks] == [PASS] * 4
