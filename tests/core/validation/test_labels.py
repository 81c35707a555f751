"""Labels from folder names and CSV files; patients from tags and file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from pneumoscan.validation import label_from_folders, label_of_text, patient_of, read_labels


@pytest.mark.parametrize(
    "text, label",
    [
        ("NORMAL", 0),
        ("normal", 0),
        ("No_Pneumonia", 0),
        ("negative", 0),
        ("healthy", 0),
        ("0", 0),
        ("PNEUMONIA", 1),
        ("Pneumonia", 1),
        ("positive", 1),
        ("bacterial", 1),
        ("VIRUS", 1),
        ("1", 1),
        ("tuberculosis", None),
        ("", None),
        ("unknown", None),
    ],
)
def test_label_synonyms(text, label):
    assert label_of_text(text) == label


def test_nearest_labelled_folder_wins(tmp_path):
    assert label_from_folders(tmp_path / "site" / "PNEUMONIA" / "2024" / "a.dcm") == 1
    assert label_from_folders(tmp_path / "normal" / "b.png") == 0
    assert label_from_folders(tmp_path / "misc" / "c.png", stop=tmp_path / "misc") is None


def test_csv_by_path_and_uid_with_unknown_labels(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "File,SOP_Instance_UID,Diagnosis\na.png,,Pneumonia\n,1.2.3,normal\nb.png,,TB\n", encoding="utf-8"
    )
    table = read_labels(csv)
    assert table.lookup(tmp_path / "a.png", {}) == 1
    assert table.lookup(tmp_path / "other.dcm", {"SOPInstanceUID": "1.2.3"}) == 0
    assert table.lookup(tmp_path / "nothing.png", {}) is None
    assert len(table.unknown) == 1 and "'TB'" in table.unknown[0]


def test_csv_without_the_needed_columns_says_so(tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text("name,grade\na.png,1\n")
    with pytest.raises(ValueError, match="needs a label column"):
        read_labels(csv)


@pytest.mark.parametrize(
    "name, meta, patient",
    [
        ("x.dcm", {"PatientID": "P7"}, "id:P7"),
        ("person12_bacteria_45.jpeg", {}, "name:person12"),
        ("NORMAL2-IM-0427-0001.jpeg", {}, "name:NORMAL2-IM-0427"),
        ("scan.png", {}, "file:scan.png"),
    ],
)
def test_patient_of(name, meta, patient):
    assert patient_of(Path(name), meta) == patient
