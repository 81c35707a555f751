"""training.age_probe: a held-out hospital's scores against its patients' ages."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from training import age_probe as A

RNG = np.random.default_rng(2)


def _data(tmp_path, rows):
    """A made-up ``other_hospitals/manifest.csv``: (name, label, age) rows."""
    root = tmp_path / "data" / "other_hospitals"
    (root / "images").mkdir(parents=True)
    with open(root / "manifest.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "hospital", "label", "age", "train_ok"])
        w.writerows([f"images/{n}", "shenzhen", "tb" if y else "normal", a, "yes"] for n, y, a in rows)
    return tmp_path / "data"


def test_banded_auc_compares_films_of_one_band_only():
    # within each band the score ranks perfectly; across bands it ranks backwards
    age = np.array([20, 20, 20, 20, 70, 70, 70, 70.0])
    y = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    s = np.array([10, 11, 12, 13, 0, 1, 2, 3.0])
    assert A.banded_auc(y, s, age) == pytest.approx(1.0)
    assert roc_auc_score(y, s) < 1.0


def test_banded_auc_weighs_each_band_by_its_pairs():
    age = np.r_[np.full(4, 20.0), np.full(8, 50.0)]
    y = np.r_[[0, 0, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1]]
    s = np.r_[[1, 0, 3, 2], RNG.normal(size=8)]
    young, old = roc_auc_score(y[:4], s[:4]), roc_auc_score(y[4:], s[4:])
    assert A.banded_auc(y, s, age) == pytest.approx((young * 4 + old * 16) / 20)


def test_a_band_of_one_label_adds_no_pairs():
    age = np.array([10, 10, 40, 40, 80.0])
    y = np.array([0, 1, 0, 1, 1])
    s = np.array([0, 1, 1, 0, 9.0])
    assert A.banded_auc(y, s, age) == pytest.approx(0.5)


@pytest.mark.parametrize(("reads_age", "rho_high"), [(True, True), (False, False)])
def test_probe_says_when_a_score_follows_age(reads_age, rho_high):
    age = RNG.uniform(1, 90, 300)
    y = RNG.integers(0, 2, 300)
    s = age / 30 + RNG.normal(0, 0.3, 300) if reads_age else 2.0 * y + RNG.normal(0, 1, 300)
    f = A.probe(y, s, age)
    assert (f["rho_age_normal"] > 0.8) is rho_high
    assert (f["auc_within_bands"] > 0.75) is (not reads_age)
    assert f["auc_age_alone"] == pytest.approx(roc_auc_score(y, age))


def test_load_keeps_films_with_an_age_and_standardises_each_run(tmp_path, prediction_run):
    data = _data(tmp_path, [("a.png", 0, 30), ("b.png", 1, 60), ("c.png", 1, ""), ("d.png", 0, 45)])
    img = data / "other_hospitals" / "images"
    held = {
        str(img / n): (y, z, "0")
        for n, y, z in [("a.png", 0, 1.0), ("b.png", 1, 3.0), ("c.png", 1, 5.0), ("d.png", 0, 2.0)]
    }
    val = {"gz/0.jpeg": (0, -2.0), "gz/1.jpeg": (1, 2.0)}
    run = prediction_run(tmp_path, "run", val, held)
    y, age, scores = A.load([run], A.ages(data))
    assert list(age) == [30, 60, 45] and list(y) == [0, 1, 0]
    assert scores[str(run)] == pytest.approx(np.array([1.0, 3.0, 2.0]) / 2.0)  # validation mean 0, sd 2


def test_a_hospital_without_ages_is_refused(tmp_path, prediction_run):
    data = _data(tmp_path, [("a.png", 0, "")])
    run = prediction_run(
        tmp_path, "run", {"gz/0.jpeg": (0, 0.0), "gz/1.jpeg": (1, 1.0)}, {"x.png": (0, 0.0, "")}
    )
    with pytest.raises(SystemExit, match="no film of heldout_hospital_predictions.csv has an age"):
        A.load([run], A.ages(data))


def test_main_prints_each_run_and_the_average(tmp_path, prediction_run, capsys):
    names = [f"f{i}.png" for i in range(40)]
    age = RNG.uniform(20, 80, 40).round()
    y = np.tile([0, 1], 20)
    data = _data(tmp_path, list(zip(names, y, age)))
    img = data / "other_hospitals" / "images"
    val = {f"gz/{i}.jpeg": (i % 2, float(i % 2) + RNG.normal()) for i in range(20)}
    runs = [
        prediction_run(
            tmp_path,
            f"run{k}",
            val,
            {str(img / n): (int(t), a / 10 + RNG.normal(), "0") for n, t, a in zip(names, y, age)},
        )
        for k in range(2)
    ]
    A.main([str(r) for r in runs] + ["--data", str(data)])
    out = capsys.readouterr().out
    assert "40 held-out films with an age (20 abnormal)" in out
    assert all(f"| {r} |" in out for r in runs) and "| average of all |" in out


def test_ages_option_keeps_only_that_range(tmp_path, prediction_run, capsys):
    names = [f"f{i}.png" for i in range(24)]
    age = np.r_[np.tile(np.arange(5.0, 11.0), 2), np.full(12, 50.0)]
    y = np.tile([0, 1], 12)
    data = _data(tmp_path, list(zip(names, y, age)))
    img = data / "other_hospitals" / "images"
    val = {f"gz/{i}.jpeg": (i % 2, float(i % 2) + RNG.normal()) for i in range(20)}
    held = {str(img / n): (int(t), RNG.normal(), "1" if a < 18 else "0") for n, t, a in zip(names, y, age)}
    run = prediction_run(tmp_path, "run", val, held)
    A.main([str(run), "--data", str(data), "--ages", "0-18"])
    assert (
        "12 held-out films with an age (6 abnormal), ages 5-10, median 7 normal, 8 abnormal"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("text", ["18", "a-b", "18-0", "5-5", "-"])
def test_a_malformed_age_range_is_a_clear_message(text):
    with pytest.raises(SystemExit, match="give LO-HI in years"):
        A.age_range(text)


def test_films_of_one_label_are_refused_not_ranked(tmp_path, prediction_run):
    data = _data(tmp_path, [("a.png", 0, 30), ("b.png", 0, 40), ("c.png", 0, 50)])
    img = data / "other_hospitals" / "images"
    held = {str(img / n): (0, float(i), "0") for i, n in enumerate(["a.png", "b.png", "c.png"])}
    run = prediction_run(tmp_path, "run", {"gz/0.jpeg": (0, 0.0), "gz/1.jpeg": (1, 1.0)}, held)
    with pytest.raises(SystemExit, match="only one label among these 3 films"):
        A.main([str(run), "--data", str(data)])


@pytest.mark.parametrize("n", [3, 5])
def test_quantile_bands_share_the_films_and_cover_every_age(n):
    age = RNG.uniform(-5, 30, 500)
    bands = A.quantile_bands(age, n)
    counts = [int(((age >= lo) & (age < hi)).sum()) for lo, hi in bands]
    assert len(bands) == n and sum(counts) == len(age)
    assert max(counts) - min(counts) <= 2


def test_apparent_reads_guangzhou_validation_against_apparent_age(tmp_path, prediction_run, capsys):
    # validation scores that follow apparent age, not the label: the probe says so
    apparent = {f"{tmp_path}/gz/{i}.jpeg": float(i % 10) for i in range(60)}
    val = {p: (i % 2, a + 0.1 * RNG.normal()) for i, (p, a) in enumerate(apparent.items())}
    run = prediction_run(tmp_path, "run", val, {"x.png": (0, 0.0, "0"), "y.png": (1, 1.0, "0")})
    csv_path = tmp_path / "apparent.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "apparent_age"])
        w.writerows([p, i % 2, a] for i, (p, a) in enumerate(apparent.items()))
    A.main([str(run), "--apparent", str(csv_path)])
    out = capsys.readouterr().out
    assert "60 validation films with an age (30 abnormal)" in out
    row = next(line for line in out.splitlines() if line.startswith(f"| {run} |"))
    rho_all = float(row.split("|")[2].split(";")[0])
    assert rho_all > 0.9  # the score follows apparent age
