"""The squash's class cue: measured on the originals, undone for Guangzhou's pneumonia films, probed in a model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import tensorflow as tf  # noqa: E402

from tests.shared import data_dir  # noqa: E402
from training.aspect_debias import class_gap, offsets, originals  # noqa: E402
from training.augment import STILL, augment  # noqa: E402
from training.dataset import train_dataset  # noqa: E402


def _bar() -> np.ndarray:
    img = np.zeros((224, 224, 1), np.float32)
    img[48:176, 88:136] = 1.0  # 48 wide, 128 high
    return img


def _extent(img: np.ndarray) -> tuple[int, int]:
    cols = np.flatnonzero(img[..., 0].max(axis=0) > 0.5)
    rows = np.flatnonzero(img[..., 0].max(axis=1) > 0.5)
    return int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


@pytest.mark.parametrize("gap", [0.0, 0.218, -0.218])
def test_half_the_gap_in_the_affine_map_widens_the_film_by_the_gap(gap):
    out = augment(tf.constant(_bar()), tf.constant([1, 2], tf.int64), STILL, gap / 2).numpy()
    w, h = _extent(out)
    assert (w / h) / (48 / 128) == pytest.approx(np.exp(gap), rel=0.06)


@pytest.mark.parametrize(
    ("label", "guangzhou", "expected"),
    [(1, True, 0.109), (0, True, 0.0), (1, False, 0.0), (0, False, 0.0)],
)
def test_only_guangzhous_pneumonia_films_are_widened(label, guangzhou, expected):
    assert offsets(np.array([label]), np.array([guangzhou]), 0.218)[0] == pytest.approx(expected)


def test_the_dataset_widens_a_film_with_an_offset_and_leaves_the_others():
    x = np.stack([(_bar() * 255).astype(np.uint8)] * 2)
    targets = {"logit": np.array([1.0, 0.0], np.float32)}
    weights = {"logit": np.ones(2, np.float32)}
    ds = train_dataset(x, targets, weights, batch=2, seed=0, aug=STILL, aspect=np.array([0.109, 0.0]))
    imgs, got, _ = next(iter(ds))
    by_label = {float(t): _extent(np.asarray(img)) for img, t in zip(imgs, got["logit"])}
    assert by_label[0.0] == (48, 128)
    assert by_label[1.0][0] > 48 and by_label[1.0][1] < 128


def test_the_offset_does_not_combine_with_cross_mixup():
    x = np.zeros((2, 8, 8, 1), np.uint8)
    targets, weights = {"logit": np.zeros(2, np.float32)}, {"logit": np.ones(2, np.float32)}
    with pytest.raises(SystemExit, match="one at a time"):
        train_dataset(x, targets, weights, 2, 0, mix=(np.zeros(2, np.int32), 0.5), aspect=np.zeros(2))


def test_the_gap_is_the_difference_of_the_class_medians():
    labels = np.array([0, 0, 0, 1, 1, 1])
    log_aspect = np.log([1.1, 1.2, 1.3, 1.4, 1.5, 1.6])
    assert class_gap(labels, log_aspect) == pytest.approx(np.log(1.5) - np.log(1.2))


def test_the_originals_pneumonia_films_are_wider():
    labels, log_aspect, side = originals(data_dir())
    assert set(labels) == {0, 1} and len(labels) == len(side)
    assert class_gap(labels, log_aspect) > 0.1  # measured 0.218: the cue the option undoes


@pytest.mark.parametrize(("log_ratio", "wider"), [(0.218, True), (-0.218, False)])
def test_the_probe_widens_or_narrows_a_film_and_nothing_else(log_ratio, wider):
    from training.aspect_probe import _reshaped

    film = (_bar() * 255).astype(np.uint8)[None]
    out = _reshaped(film, log_ratio)[0]
    w, h = _extent(out)
    assert (w > 48) == wider and (h < 128) == wider
    assert (w / h) / (48 / 128) == pytest.approx(np.exp(log_ratio), rel=0.06)
    assert out.min() >= -1.0 and out.max() <= 1.0  # equalised, as the model reads it


def test_the_probe_prints_one_row_a_run_with_every_change(monkeypatch, capsys, tmp_path):
    from training import aspect_probe

    figures = {"auc": 0.99, **{k: float(i) for i, k in enumerate(aspect_probe.KEYS)}}
    monkeypatch.setattr(aspect_probe, "probe", lambda run, gap: figures)
    monkeypatch.setattr("pneumoscan.offline.ensure_offline", lambda: None)
    aspect_probe.main([str(tmp_path / "a"), str(tmp_path / "b")])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"| {tmp_path}")]
    assert len(rows) == 2
    assert rows[0].endswith("| 0.9900 | +0.00 | +1.00 | +2.00 | +3.00 |")
