"""A cropping model's map placed where its box lies on the film (pneumoscan.model.placement)."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.model.manifest import Manifest
from pneumoscan.model.placement import SIZE, placed
from pneumoscan.model.session import Model
from pneumoscan.reading.display import heat_rgba
from tests.model_factory import build_tiny_onnx, write_manifest


def _rows_ramp(n: int = 1, cells: int = 14) -> np.ndarray:
    """Each cell's value its row index: bilinear resampling keeps a ramp a ramp."""
    return np.tile(np.arange(cells, dtype=np.float32)[:, None], (n, 1, cells)).reshape(n, cells, cells)


def test_the_whole_film_box_is_a_plain_bilinear_resize():
    cam = _rows_ramp()
    out = placed(cam, np.array([[0.0, 1.0, 0.0, 1.0]]))
    centre = (np.arange(SIZE) + 0.5) / SIZE * 14 - 0.5  # where each output row reads the map
    assert out.shape == (1, SIZE, SIZE)
    assert np.allclose(out[0, :, 7], np.clip(centre, 0, 13), atol=1e-5)
    assert np.allclose(out[0], out[0, :, :1])  # constant along each row, as the map is


@pytest.mark.parametrize(("top", "bottom", "left", "right"), [(0.25, 0.75, 0.0, 1.0), (0.1, 0.9, 0.2, 0.6)])
def test_outside_the_box_is_the_maps_median_and_inside_it_is_the_map(top, bottom, left, right):
    cam = _rows_ramp() + 3.0  # median 9.5
    out = placed(cam, np.array([[top, bottom, left, right]]))[0]
    centre = (np.arange(SIZE) + 0.5) / SIZE
    inside_rows = (centre >= top) & (centre <= bottom)
    inside_cols = (centre >= left) & (centre <= right)
    assert np.all(out[~inside_rows] == 9.5) and np.all(out[:, ~inside_cols] == 9.5)
    t = (centre[inside_rows] - top) / (bottom - top)  # the rows inside read the map's rows evenly
    want = np.clip(t * 14 - 0.5, 0, 13) + 3.0
    assert np.allclose(out[inside_rows][:, np.flatnonzero(inside_cols)[0]], want, atol=1e-4)


def test_films_of_one_batch_are_placed_in_their_own_boxes():
    cam = np.stack([np.full((14, 14), 5.0), np.full((14, 14), 5.0)]).astype(np.float32)
    cam[:, :7] = 1.0  # the top half low: the median (the fill) 3.0
    out = placed(cam, np.array([[0.0, 0.5, 0.0, 1.0], [0.5, 1.0, 0.0, 1.0]]))
    assert out[0, SIZE - 1, SIZE // 2] == 3.0 and out[1, 0, SIZE // 2] == 3.0  # each outside its box
    assert out[0, 0, SIZE // 2] == 1.0 and out[1, SIZE // 2 + 1, SIZE // 2] == 1.0  # the map's top row
    assert out[0, SIZE // 2 - 1, SIZE // 2] == 5.0 and out[1, SIZE - 1, SIZE // 2] == 5.0  # its bottom


def test_a_model_with_a_cam_box_output_gives_maps_placed_on_the_film(tmp_path):
    build_tiny_onnx(tmp_path / "model.onnx", cam_box=(0.0, 0.5, 0.5, 1.0))
    model = Model(Manifest.load(write_manifest(tmp_path, cam_box=True)))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 224, 224, 1)).astype(np.float32)
    out = model.predict(x)
    assert out.cam.shape == (2, SIZE, SIZE)
    raw = model.session.run(["cam"], {model.input_name: x})[0]
    fill = np.median(raw.reshape(2, -1), axis=1)[:, None, None]
    assert np.all(out.cam[:, SIZE // 2 + 1 :, :] == fill)  # below the box: nothing seen
    assert np.all(out.cam[:, :, : SIZE // 2 - 1] == fill)  # left of it as well
    assert np.all(heat_rgba(out.cam[0])[SIZE // 2 + 1 :, :, 3] == 0)  # and nothing shown there
    model.skip("cam")
    assert model.predict(x).cam is None and not model.outputs["cam_box"]


def test_a_model_without_a_box_keeps_its_map(tiny_manifest):
    out = Model(Manifest.load(tiny_manifest)).predict(np.zeros((1, 224, 224, 1), np.float32))
    assert out.cam.shape == (1, 7, 7)
