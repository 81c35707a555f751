"""Older-looking children weighed up in the scope gates' training (``training.scope_age_weight``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training import age_balance
from training import scope_age_weight as saw


@pytest.fixture
def ages(tmp_path: Path) -> tuple[list[Path], list[int], dict[str, float]]:
    # Pneumonia films look older than every normal film: a share over all films would take only them.
    paths = [tmp_path / "NORMAL" / f"n{i}.jpeg" for i in range(10)]
    paths += [tmp_path / "PNEUMONIA" / f"p{i}.jpeg" for i in range(10)]
    labels = [0] * 10 + [1] * 10
    csv = tmp_path / "ages.csv"
    rows = [f"{p},{y},{i if y == 0 else 100 + i - 10}\n" for i, (p, y) in enumerate(zip(paths, labels))]
    csv.write_text("path,label,apparent_age\n" + "".join(rows))
    return paths, labels, age_balance.load(csv)


@pytest.mark.parametrize("top,factor", [(0.2, 3.0), (0.5, 2.0), (0.1, 5.0)])
def test_the_oldest_looking_share_of_each_class_is_weighed_up(ages, top, factor) -> None:
    paths, labels, table = ages
    w = saw.film_weights(paths, labels, table, top, factor)
    assert w.mean() == pytest.approx(1.0)
    n_up = round(10 * top)
    for cls in (slice(0, 10), slice(10, 20)):
        cw = w[cls]
        # the oldest n_up of each class (the last ones here), each factor times the others
        assert np.allclose(cw[-n_up:] / cw[0], factor)
        assert np.allclose(cw[: 10 - n_up], cw[0])


def test_a_film_without_an_apparent_age_is_a_clear_error(ages) -> None:
    paths, labels, table = ages
    with pytest.raises(SystemExit, match="no apparent age"):
        saw.film_weights([*paths, Path("/x/NORMAL/unknown.jpeg")], [*labels, 0], table, 0.2, 3.0)


@pytest.mark.parametrize("top,factor", [(0.0, 3.0), (1.0, 3.0), (0.2, 0.5)])
def test_out_of_range_settings_are_refused(ages, top, factor) -> None:
    paths, labels, table = ages
    with pytest.raises(SystemExit, match="--age-top"):
        saw.film_weights(paths, labels, table, top, factor)


@pytest.mark.parametrize("copies", [0, 1, 3])
def test_rows_follow_the_training_set_order(copies: int) -> None:
    film_w = np.array([0.5, 2.0, 1.0])
    rows = saw.row_weights(film_w, copies, 20)
    assert len(rows) == 20
    assert np.array_equal(rows[:3], film_w)
    # each film's augmented copies follow the films, film by film (np.repeat in train_scope.augmented)
    assert np.array_equal(rows[3 : 3 + 3 * copies], np.repeat(film_w, copies))
    assert np.all(rows[3 + 3 * copies :] == 1.0)


def test_more_film_rows_than_training_rows_is_an_error() -> None:
    with pytest.raises(ValueError):
        saw.row_weights(np.ones(5), 2, 10)
