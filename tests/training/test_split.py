"""Patient ids and the saved patient-wise split."""

from __future__ import annotations

import pytest

from tests.shared import data_dir
from training import split


@pytest.mark.parametrize(
    ("name", "pid"),
    [
        ("person123_bacteria_456.jpeg", "person123"),
        ("person123_virus_789.jpeg", "person123"),
        ("IM-0115-0001.jpeg", "IM-0115"),
        ("NORMAL2-IM-0427-0001.jpeg", "NORMAL2-IM-0427"),
    ],
)
def test_patient_id(name, pid):
    assert split.patient_id(name) == pid


def test_patient_id_rejects_unknown_names():
    with pytest.raises(ValueError):
        split.patient_id("scan.jpeg")


def test_no_patient_on_both_sides():
    items = split.list_images(data_dir() / "chest_xray" / "train")
    val_ids = split.load_split()
    train, val = split.split_items(items, val_ids)
    train_p = {split.patient_id(p.name) for p, _ in train}
    val_p = {split.patient_id(p.name) for p, _ in val}
    assert train_p.isdisjoint(val_p)
    assert len(train) + len(val) == len(items)
    # stratified: the pneumonia share is close on both sides
    share = lambda xs: sum(y for _, y in xs) / len(xs)  # noqa: E731
    assert abs(share(train) - share(val)) < 0.03
    assert 0.15 < len(val) / len(items) < 0.25


def test_split_is_reproducible():
    items = split.list_images(data_dir() / "chest_xray" / "train")
    assert split.make_split(items) == split.load_split()


def test_the_validation_films_as_a_labels_csv_that_validate_reads(tmp_path):
    from pneumoscan.validation.labels import read_labels

    items = [(tmp_path / "person1_virus_2.jpeg", 1), (tmp_path / "IM-0001-0001.jpeg", 0)]
    out = tmp_path / "csv" / "val.csv"
    split.write_labels_csv(items, out)
    table = read_labels(out)
    assert table.unknown == []
    assert table.by_path == {str(p.resolve()): y for p, y in items}


def test_a_labels_csv_that_cannot_be_written_is_a_clear_message(tmp_path):
    from tests.shared import data_dir

    if not (data_dir() / "chest_xray" / "train").is_dir():
        pytest.skip("the chest_xray data set is not beside the repo")
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit, match="not written"):
        split.main(
            [
                "--data",
                str(data_dir() / "chest_xray" / "train"),
                "--labels-csv",
                str(tmp_path / "file" / "v.csv"),
            ]
        )
