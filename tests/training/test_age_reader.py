"""The age reader: which films it learns from, how its reading and the class gap are measured."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from training.age_reader import class_gap, reading_figures, shenzhen


def _manifest(root, rows):
    d = root / "other_hospitals"
    d.mkdir(parents=True)
    with open(d / "manifest.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "hospital", "label", "age"])
        w.writerows(rows)
    return root


ROWS = [
    ("images/CHNCXR_0001_0.jpg", "shenzhen", "normal", "45"),
    ("images/CHNCXR_0002_1.jpg", "shenzhen", "tuberculosis", "63"),
    ("images/CHNCXR_0003_0.jpg", "shenzhen", "normal", ""),  # no age: left out
    ("images/CHNCXR_0004_0.jpg", "shenzhen", "normal", "7"),
    ("images/MCUCXR_0001_0.jpg", "montgomery", "normal", "30"),  # another hospital: left out
]


@pytest.mark.parametrize(
    ("all_labels", "names", "ages", "labels"),
    [
        (False, ["CHNCXR_0001_0.jpg", "CHNCXR_0004_0.jpg"], [45, 7], [0, 0]),
        (True, ["CHNCXR_0001_0.jpg", "CHNCXR_0002_1.jpg", "CHNCXR_0004_0.jpg"], [45, 63, 7], [0, 1, 0]),
    ],
)
def test_shenzhen_films_with_an_age_normal_only_unless_asked(tmp_path, all_labels, names, ages, labels):
    paths, age, y = shenzhen(_manifest(tmp_path, ROWS), all_labels)
    assert [p.name for p in paths] == names
    assert age.tolist() == ages and y.tolist() == labels
    assert all(p.parent == tmp_path / "other_hospitals" / "images" for p in paths)


def test_reading_figures_measure_the_reading_against_true_ages():
    rng = np.random.default_rng(0)
    age = np.r_[rng.uniform(1, 17, 30), rng.uniform(18, 85, 300)]
    pred = age + rng.normal(0, 5, len(age))
    f = reading_figures(age, pred)
    assert f["spearman"] == pytest.approx(spearmanr(age, pred)[0])
    assert f["mae"] == pytest.approx(np.abs(age - pred).mean())
    assert f["child_auc"] == pytest.approx(roc_auc_score(age < 18, -pred)) and f["child_auc"] > 0.9


def test_reading_figures_without_children_give_no_child_auc():
    age = np.array([20.0, 30.0, 40.0, 50.0])
    assert np.isnan(reading_figures(age, age)["child_auc"])


@pytest.mark.parametrize(("shift", "low", "high"), [(0.0, 0.4, 0.6), (3.0, 0.8, 1.0), (-3.0, 0.0, 0.2)])
def test_class_gap_says_which_class_looks_older(shift, low, high):
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(300), np.ones(600)].astype(int)
    pred = rng.normal(5, 2, len(y)) + shift * y
    g = class_gap(y, pred)
    assert low < g["auc"] < high
    assert g["lo"] <= g["auc"] <= g["hi"]
    assert g["median_pneumonia"] - g["median_normal"] == pytest.approx(shift, abs=0.5)


@pytest.mark.slow
def test_the_command_reads_real_films(tmp_path, capsys):
    from tests.shared import data_dir

    data = data_dir()
    from training.age_reader import main

    out = tmp_path / "ages.csv"
    main(["--data", str(data), "--limit", "20", "--epochs", "1", "--folds", "2", "--out", str(out)])
    text = capsys.readouterr().out
    assert "out of fold: Spearman" in text and "apparent age alone tells pneumonia" in text
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 20 and {r["label"] for r in rows} == {"0", "1"}
    assert all(float(r["apparent_age"]) == float(r["apparent_age"]) for r in rows)  # no NaN


@pytest.mark.parametrize("gap", [0.22, 0.4])
def test_widened_changes_only_the_proportions(gap):
    from training.age_reader import widened

    bar = np.zeros((1, 224, 224, 1), np.uint8)
    bar[0, :, 100:124] = 255  # a vertical bar 24 wide: wider by exp(gap / 2), still full height
    wide = widened(bar, gap)[0, ..., 0]
    assert (wide[112] > 127).sum() == pytest.approx(24 * np.exp(gap / 2), abs=1.5)
    assert (wide[:, 112] > 127).all()
    noise = np.random.default_rng(0).integers(0, 256, (2, 224, 224, 1)).astype(np.uint8)
    assert np.array_equal(widened(noise, 0.0), noise)  # no gap: the films as they were


@pytest.mark.parametrize("folds", ["1", "-2", "400"])
def test_folds_that_cannot_be_made_are_a_clear_message(tmp_path, folds):
    from training.age_reader import main

    data = _manifest(tmp_path, ROWS)
    with pytest.raises(SystemExit, match="too few films or folds"):
        main(["--data", str(data), "--folds", folds])
