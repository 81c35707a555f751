"""The shipped batch-check reference against batches of known origin (needs ../shared/data).

Since stop 25 the model trains on Shenzhen's and Montgomery's films, so their batches are no
longer "another hospital" for it (Shenzhen's children now read ``ok``); the batches that must read
``shift`` are the shifted copy of validation films (other machines, no refusals involved: the
distance alone) and the public collection's films (hospitals never trained on)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pneumoscan.model.manifest import default_assets_dir
from pneumoscan.scope.batch import check_results, load_reference
from pneumoscan.screener import Screener
from tests.shared import data_dir


@pytest.fixture(scope="module")
def shipped():
    return Screener(), load_reference(default_assets_dir() / "batch_reference.json")


@pytest.fixture(scope="module")
def validation_sample():
    from training import split

    data = data_dir()
    _, val = split.split_items(split.list_images(data / "chest_xray" / "train"), split.load_split())
    return random.Random(1).sample(val, 150)


def test_validation_films_read_ok(shipped, validation_sample):
    screener, reference = shipped
    results = list(screener.screen([p for p, _ in validation_sample]))
    assert check_results(results, reference).verdict == "ok"


def test_a_shifted_copy_reads_shift_from_the_feature_distance(shipped, validation_sample, tmp_path):
    from PIL import Image

    from pneumoscan.model.preprocess import InputSpec
    from training import dataset

    screener, reference = shipped
    x, _ = dataset.load_arrays(validation_sample, InputSpec())
    paths = []
    for i, img in enumerate(dataset.shifted_copy(x, 42)):  # written to tmp only, never kept
        paths.append(tmp_path / f"shifted{i}.png")
        Image.fromarray(img[..., 0].astype(np.uint8)).save(paths[-1])
    results = list(screener.screen(paths))
    from pneumoscan.scope.batch import REFUSED_SHIFT

    assert sum(r.out_of_scope for r in results) / len(results) <= REFUSED_SHIFT  # not the refusal rule
    assert check_results(results, reference).verdict == "shift"


def test_films_of_hospitals_never_trained_on_read_shift(shipped):
    from training import sources

    data = data_dir()
    films = [f.path for f in sources.collection(data)]
    if not films:
        pytest.skip("the public collection's films are absent from ../shared/data/scope")
    screener, reference = shipped
    assert check_results(list(screener.screen(films)), reference).verdict == "shift"
