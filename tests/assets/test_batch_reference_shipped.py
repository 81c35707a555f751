"""The shipped batch-check reference against batches of known origin (needs ../shared/data)."""

from __future__ import annotations

import pytest


def test_shipped_reference_ok_on_validation_films_shift_on_another_hospitals_children():
    """The shipped model and its reference: a random sample of validation films, Shenzhen's children."""
    import random

    from pneumoscan.model.manifest import default_assets_dir
    from pneumoscan.scope.batch import check_results, load_reference
    from pneumoscan.screener import Screener
    from tests.shared import data_dir

    data = data_dir()
    if not (data / "other_hospitals").is_dir():
        pytest.skip("other_hospitals data set absent")
    from training import sources, split

    reference = load_reference(default_assets_dir() / "batch_reference.json")
    screener = Screener()
    _, val = split.split_items(split.list_images(data / "chest_xray" / "train"), split.load_split())
    sample = random.Random(1).sample([p for p, _ in val], 150)
    assert check_results(list(screener.screen(sample)), reference).verdict == "ok"
    children = [f.path for f in sources.nlm(data) if f.hospital == "shenzhen" and f.child]
    assert check_results(list(screener.screen(children)), reference).verdict == "shift"
