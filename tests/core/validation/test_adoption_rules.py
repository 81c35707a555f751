"""Issue 17, item 11 and the profile crashes: evidence rules for adopting, profiles that say what is wrong."""

from __future__ import annotations

import json

import pytest

from pneumoscan import cli
from pneumoscan.model.profiles import SiteProfile, profiles_dir
from pneumoscan.validation import adopt, validate
from pneumoscan.validation.adoption import MIN_PER_CLASS, save_profile
from tests.core.validation.helpers import PROFILE_FIELDS, labelled_folder


def _validate(model, root, *extra: str) -> int:
    return cli.main(["validate", str(root), "--model", str(model), "--bootstrap", "50", *extra])


def test_one_film_of_each_class_is_never_enough_to_adopt(tiny_manifest, tmp_path, capsys):
    root = labelled_folder(tmp_path / "site", n_normal=1, n_pneumonia=1)
    code = _validate(tiny_manifest, root, "-o", str(tmp_path / "v.html"), "--adopt", "tiny")
    err = capsys.readouterr().err
    assert code == 2 and f"at least {MIN_PER_CLASS} films of each class" in err
    assert not (profiles_dir() / "tiny.json").exists() and (tmp_path / "v.html").exists()


@pytest.mark.parametrize("n_normal, n_pneumonia, ok", [(29, 60, False), (30, 29, False), (30, 30, True)])
def test_the_minimum_counts_per_class(tiny_manifest, tmp_path, n_normal, n_pneumonia, ok):
    from pneumoscan.screener import Screener

    report = validate(
        [labelled_folder(tmp_path / "s", n_normal, n_pneumonia)], Screener(tiny_manifest), n_boot=50
    )
    if ok:
        assert adopt(report, "x").threshold == report.proposals["site_target"]["threshold"]
    else:
        with pytest.raises(ValueError, match="at least 30"):
            adopt(report, "x")


def test_pneumoscans_own_report_is_refused_as_labels(tiny_manifest, tmp_path, capsys):
    root = labelled_folder(tmp_path / "site")
    assert cli.main(["screen", str(root), "-o", str(tmp_path / "r.csv"), "--model", str(tiny_manifest)]) == 1
    code = _validate(tiny_manifest, root, "--labels", str(tmp_path / "r.csv"), "-o", str(tmp_path / "v.html"))
    assert code == 2 and "is a PneumoScan report" in capsys.readouterr().err
    assert not (tmp_path / "v.html").exists()


def test_re_adopting_needs_replace_and_is_refused_before_screening(tiny_manifest, tmp_path, capsys):
    root = labelled_folder(tmp_path / "site")
    out = ["-o", str(tmp_path / "v.html")]
    assert _validate(tiny_manifest, root, *out, "--adopt", "clinic") == 0
    first = (profiles_dir() / "clinic.json").read_text()
    assert _validate(tiny_manifest, root, *out, "--adopt", "clinic") == 2
    assert "--replace" in capsys.readouterr().err and (profiles_dir() / "clinic.json").read_text() == first
    assert _validate(tiny_manifest, root, *out, "--adopt", "clinic", "--replace") == 0


def test_an_invalid_profile_name_is_refused_before_screening(tiny_manifest, tmp_path, capsys, monkeypatch):
    import pneumoscan.validation as validation

    monkeypatch.setattr(validation, "validate", lambda *a, **k: pytest.fail("screened before refusing"))
    root = labelled_folder(tmp_path / "site", 2, 2)
    assert _validate(tiny_manifest, root, "-o", str(tmp_path / "v.html"), "--adopt", "../../etc/x") == 2
    assert "invalid profile name" in capsys.readouterr().err


def test_label_rows_without_a_film_are_listed_and_said(tiny_manifest, tmp_path, capsys):
    root = labelled_folder(tmp_path / "site")
    labels = tmp_path / "labels.csv"
    lines = ["path,label"]
    lines += [f"site/NORMAL/{p.name},NORMAL" for p in sorted((root / "NORMAL").glob("p*.png"))]
    lines += [f"site/PNEUMONIA/{p.name},PNEUMONIA" for p in sorted((root / "PNEUMONIA").glob("*.png"))]
    lines += ["site/NORMAL/gone_1.png,NORMAL", "site/NORMAL/gone_2.png,NORMAL"]
    labels.write_text("\n".join(lines) + "\n")
    assert _validate(tiny_manifest, root, "--labels", str(labels), "-o", str(tmp_path / "v.html")) == 0
    assert "2 label row(s) name no screened film" in capsys.readouterr().err
    data = json.loads((tmp_path / "v.json").read_text())
    assert [p.rsplit("/", 1)[-1] for p in data["not_used"]["labels_without_a_film"]] == [
        "gone_1.png",
        "gone_2.png",
    ]


BASE = PROFILE_FIELDS


@pytest.mark.parametrize(
    "change", [{"counts": [1, 2]}, {"figures": "x"}, {"model_sha256": 12345}, {"rule": None}]
)
def test_profiles_with_odd_fields_are_named_not_crashed_on(tiny_manifest, tmp_path, change, capsys):
    profiles_dir().mkdir(parents=True, exist_ok=True)
    (profiles_dir() / "p.json").write_text(json.dumps({**BASE, **change}))
    assert cli.main(["profiles"]) == 1
    err = capsys.readouterr().err
    assert "unusable profile p.json" in err and "Traceback" not in err
    img = labelled_folder(tmp_path / "s", 1, 1)
    code = cli.main(
        ["screen", str(img), "-o", str(tmp_path / "r.csv"), "--profile", "p", "--model", str(tiny_manifest)]
    )
    assert code == 2 and "site profile 'p' is unreadable" in capsys.readouterr().err


def test_profiles_lists_figures_with_intervals(capsys):
    figures = {"sensitivity": {"value": 0.99, "ci95": [0.97, 0.999]}, "specificity": {"value": 0.8}}
    save_profile(SiteProfile(**{**BASE, "figures": figures, "counts": {"films": 400}}))
    assert cli.main(["profiles"]) == 0
    out = capsys.readouterr().out
    assert "sensitivity 99.0% (95% CI 97.0-99.9)" in out and "specificity 80.0%" in out


def test_the_wrong_model_message_names_both_models(tiny_manifest, tmp_path, capsys):
    save_profile(SiteProfile(**{**BASE, "model_sha256": "f" * 64, "model_version": "old-model"}))
    img = labelled_folder(tmp_path / "s", 1, 1)
    code = cli.main(
        ["screen", str(img), "-o", str(tmp_path / "r.csv"), "--profile", "p", "--model", str(tiny_manifest)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "old-model (SHA-256 ffffffffffff)" in err and "not the installed" in err


def test_validate_adapt_adopts_the_head_only_when_better_and_screen_uses_it(tiny_manifest, tmp_path, capsys):
    """Issue 19: --adapt fits a head on the features, reports it beside the shipped one out of fold,
    and --adopt stores it only when better; screen --profile then uses its probabilities."""
    import json

    from pneumoscan.model.profiles import load_profile
    from pneumoscan.outputs.csv_report import read_report

    root = labelled_folder(tmp_path / "site", n_normal=60, n_pneumonia=60)
    out = ["-o", str(tmp_path / "v.html")]
    assert _validate(tiny_manifest, root, *out, "--adapt", "--adopt", "site") == 0
    printed = capsys.readouterr()
    assert (
        "adapted head (out of fold): AUC" in printed.out and "shipped head (same films): AUC" in printed.out
    )
    report = json.loads((tmp_path / "v.json").read_text())
    better = report["adapted"]["better"]
    profile = load_profile("site")
    assert (profile.head is not None) == better
    assert ("with its adapted head" if better else "the adapted head was not better") in printed.out
    if profile.head is not None:
        code = cli.main(
            [
                "screen",
                str(root),
                "-o",
                str(tmp_path / "r.csv"),
                "--profile",
                "site",
                "--model",
                str(tiny_manifest),
            ]
        )
        rows = [r for r in read_report(tmp_path / "r.csv") if r["status"] == "ok"]
        assert code in (0, 1) and rows and all(r["operating_point"] == "site:site" for r in rows)
        assert all(float(r["threshold"]) == pytest.approx(profile.threshold, abs=1e-6) for r in rows)
