"""The framing and sharpness probe: its image changes, and its figures on a model that reads framing."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training import texture_probe  # noqa: E402


def _disc(radius: int, side: int = 224) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side] - (side - 1) / 2
    return np.where(xx**2 + yy**2 < radius**2, 220, 30).astype(np.uint8)


def _bright(film: np.ndarray) -> int:
    return int((film > 125).sum())


@pytest.mark.parametrize(("factor", "grows"), [(1.25, True), (0.8, False)])
def test_zoom_keeps_the_size_and_scales_what_it_shows(factor, grows):
    film = _disc(40)
    out = texture_probe._zoom(film, factor)
    assert out.shape == film.shape and out.dtype == np.uint8
    assert _bright(out) / _bright(film) == pytest.approx(factor**2, rel=0.08)
    assert (_bright(out) > _bright(film)) == grows


@pytest.mark.parametrize("name", list(texture_probe.CHANGES))
def test_every_change_keeps_a_films_size_and_type(name):
    films = np.stack([_disc(40), _disc(60)])[..., None]
    out = texture_probe.changed(films, texture_probe.CHANGES[name])
    assert out.shape == films.shape and out.dtype == np.uint8
    assert not np.array_equal(out, films)


def test_a_model_that_reads_framing_moves_with_the_zoom(tmp_path, monkeypatch):
    """A 'model' whose logit is the mean of the equalised film's centre: zooming in fills the centre
    with the bright disc and raises it, zooming out lowers it, blurring barely moves it."""
    import keras

    inp = keras.Input((224, 224, 1))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Cropping2D(56)(inp))
    logit = keras.layers.Dense(1, name="logit", kernel_initializer="ones", bias_initializer="zeros")(pooled)
    keras.Model(inp, logit).save(tmp_path / "best.keras")
    films = np.stack([_disc(r) for r in (30, 40, 50)])[..., None]
    monkeypatch.setattr(texture_probe, "groups", lambda run: {"discs": films})
    table = texture_probe.probe(tmp_path)
    assert set(table) == {"as it is", *texture_probe.CHANGES}
    assert table["zoom in 1.25"]["discs"] > 0.1
    assert table["zoom out 0.8"]["discs"] < -0.05
    assert abs(table["blur (sigma 1)"]["discs"]) < table["zoom in 1.25"]["discs"] / 3
    text = texture_probe.render(tmp_path, table)
    assert "| zoom in 1.25 | +" in text and "| as it is | " in text
