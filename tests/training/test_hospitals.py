"""Multi-hospital training data: weights that keep any hospital from predicting the label; the by-hospital table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.sources import Film, balanced_weights


def _films(hospital: str, normal: int, abnormal: int) -> list[Film]:
    return [Film(Path(f"{hospital}{i}"), int(i >= normal), hospital, None) for i in range(normal + abnormal)]


def test_classes_weigh_the_same_within_each_hospital_and_small_hospitals_count_more():
    films = _films("big", 1000, 3000) + _films("small", 40, 60)
    w = balanced_weights(films)
    for h in ("big", "small"):
        cls = [sum(wi for wi, f in zip(w, films) if f.hospital == h and f.label == y) for y in (0, 1)]
        assert cls[0] == pytest.approx(cls[1], rel=1e-4)  # float32 sums
    share = {h: sum(wi for wi, f in zip(w, films) if f.hospital == h) for h in ("big", "small")}
    assert share["small"] / share["big"] == pytest.approx((100 / 4000) ** 0.5, rel=1e-4)
    assert np.mean(w) == pytest.approx(1.0, rel=1e-4)


def test_the_table_has_a_row_per_hospital_and_age_group_with_intervals():
    pytest.importorskip("sklearn")
    from training.hospital_eval import table

    rng = np.random.default_rng(0)
    rows = [
        {"hospital": h, "child": c, "label": int(y), "score": float(rng.normal(y, 1))}
        for h, c in (("a", True), ("a", False), ("b", None))
        for y in [0] * 30 + [1] * 30
    ]
    text = table(rows, 0.5, "test")
    assert (
        "| a, children | 60 | 30 / 30 |" in text
        and "| a, adults |" in text
        and "| b, age not given |" in text
    )
    assert text.count("(") >= 9  # an interval for every AUC, sensitivity and specificity


@pytest.mark.parametrize("shift, lower", [(3.0, 0.9), (0.0, 0.3)])
def test_an_abnormal_only_group_is_ranked_against_the_home_hospitals_normal_films(shift, lower, monkeypatch):
    pytest.importorskip("sklearn")
    from training import hospital_eval
    from training.hospital_eval import against_home

    monkeypatch.setattr(hospital_eval, "BOOT", 50)  # the interval is auc_ci's; not under test here

    rng = np.random.default_rng(1)
    home = "guangzhou (validation)"
    rows = [
        {"hospital": home, "child": True, "label": y, "score": float(rng.normal(3 * y))}
        for y in [0] * 80 + [1] * 80
    ]
    rows += [
        {"hospital": "elsewhere", "child": False, "label": 1, "score": float(rng.normal(shift))}
        for _ in range(60)
    ]
    rows += [{"hospital": "both", "child": False, "label": y, "score": 0.0} for y in (0, 1)]
    text = against_home(rows)
    assert "- elsewhere: 60 abnormal films against 80 normal films" in text and "both" not in text
    auc = float(text.split("AUC ")[1].split(" ")[0])
    assert lower < auc < lower + 0.4  # shifted like home's pneumonia: high; like its normals: near chance


def test_the_adversary_sees_each_hospital_and_class_alike_and_not_a_one_class_hospital():
    from training.sources import HOSPITALS, adversary_targets

    films = _films("guangzhou", 100, 300) + _films("shenzhen", 30, 20) + _films("hannover", 0, 50)
    idx, w = adversary_targets(films)
    assert [HOSPITALS[i] for i in idx[[0, 400, 450]]] == ["guangzhou", "shenzhen", "hannover"]
    cells = {}
    for f, wi in zip(films, w):
        cells[(f.hospital, f.label)] = cells.get((f.hospital, f.label), 0.0) + float(wi)
    counted = [v for (h, _), v in cells.items() if h != "hannover"]
    assert max(counted) == pytest.approx(min(counted), rel=1e-4)
    assert cells[("hannover", 1)] == 0.0  # there the hospital is the label
    assert float(np.mean(w[w > 0])) == pytest.approx(1.0, rel=1e-4)


def test_each_threshold_rule_is_carried_to_the_other_hospitals():
    pytest.importorskip("sklearn")
    from training.operating_point import RULES, rules_table

    rng = np.random.default_rng(0)
    rows = [
        {"hospital": h, "child": c, "label": int(y), "score": float(rng.normal(2 * y + shift, 1))}
        for h, c, shift in (("guangzhou", True, 0.0), ("elsewhere", False, 1.0))
        for y in [0] * 200 + [1] * 200
    ]
    lines = rules_table(rows, "t").splitlines()
    assert "| elsewhere, adults sens | elsewhere, adults spec |" in lines[2]
    body = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(body) == len(RULES)
    # the other hospital's normals score higher: a lower threshold keeps less of their specificity
    spec = [float(line.split("|")[-2].split("%")[0]) for line in body[:3]]
    assert spec[0] <= spec[1] <= spec[2]


def test_the_collection_keeps_infectious_pneumonia_films_of_adult_frontal_rows_only(tmp_path):
    from training.sources import collection

    scope = tmp_path / "scope"
    scope.mkdir()
    rows = [
        (
            "adult_cxr/covid_a.png",
            "adult_cxr",
            "ieee8023/covid-chestxray-dataset",
            "view=PA; finding=COVID-19",
        ),
        ("adult_cxr/covid_b.png", "adult_cxr", "ieee8023/covid-chestxray-dataset", "view=AP; finding=todo"),
        ("adult_cxr/covid_c.png", "adult_cxr", "ieee8023/covid-chestxray-dataset", "finding=No Finding"),
        ("adult_cxr/covid_d.png", "adult_cxr", "ieee8023/covid-chestxray-dataset", "finding=Klebsiella"),
        ("adult_cxr/lateral/covid_e.png", "adult_cxr_lateral", "ieee8023/covid", "finding=COVID-19"),
        ("adult_cxr/mhh_f.png", "adult_cxr", "ml-workgroup/covid-19-image-repository", "finding=COVID-19"),
    ]
    lines = ["path,class,source_repo,source_path,license,note,train_ok"]
    lines += [f"{p},{c},{s},x,y,{n},no" for p, c, s, n in rows]
    (scope / "manifest.csv").write_text("\n".join(lines) + "\n")
    films = collection(tmp_path)
    assert [f.path.name for f in films] == ["covid_a.png", "covid_d.png"]
    assert all(f.label == 1 and f.hospital == "collection" and f.child is False for f in films)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, set()),
        ({"hospitals": "shenzhen, hannover"}, {"shenzhen", "hannover"}),
        ({"hospitals": "shenzhen,montgomery", "hold_out_hospital": "montgomery"}, {"shenzhen"}),
    ],
)
def test_a_shipped_model_s_other_hospitals_are_named_in_sample(tmp_path, config, expected):
    import json

    from training.hospital_eval import _name, trained_hospitals

    manifest = tmp_path / "model.json"
    manifest.write_text(json.dumps({"training": {"config": config}}))
    trained = trained_hospitals(manifest)
    assert trained == expected
    for h in ("shenzhen", "montgomery", "hannover"):
        assert _name(h, trained).endswith("(trained on: in-sample)" if h in expected else "(unseen)")


def test_the_shipped_model_s_validation_scores_are_written_as_a_run(tmp_path):
    from training.ensemble_eval import validation_scale
    from training.hospital_eval import write_validation

    rows = [
        {"hospital": "guangzhou (validation)", "label": 1, "score": 0.9, "path": "a.jpeg", "child": True},
        {"hospital": "guangzhou (validation)", "label": 0, "score": 0.1, "path": "b.jpeg", "child": True},
        {"hospital": "guangzhou (validation)", "label": 0, "score": 0.0, "path": "c.jpeg", "child": True},
        {
            "hospital": "shenzhen (trained on: in-sample)",
            "label": 1,
            "score": 0.7,
            "path": "d.jpg",
            "child": False,
        },
    ]
    out = write_validation(rows, tmp_path / "shipped")
    lines = out.read_text().splitlines()
    assert lines[0] == "path,label,logit" and len(lines) == 4  # Guangzhou's validation films only
    assert [float(x.split(",")[2]) for x in lines[1:3]] == pytest.approx([np.log(9), -np.log(9)], abs=1e-5)
    assert np.isfinite(float(lines[3].split(",")[2]))  # a probability of 0 is clipped, not -inf
    assert np.isfinite(validation_scale(tmp_path / "shipped")).all()


def test_predictions_without_a_shipped_model_is_a_clear_message(tmp_path):
    from training.hospital_eval import main

    with pytest.raises(SystemExit, match="give --shipped or --model"):
        main(["--run", str(tmp_path), "--predictions", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()
