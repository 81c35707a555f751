"""End to end: validate a labelled folder, read the report, adopt a profile, screen with it."""

from __future__ import annotations

import json

import pytest

from pneumoscan import cli
from pneumoscan.errors import ModelError
from pneumoscan.model.profiles import ProfileError, SiteProfile, list_profiles, load_profile
from pneumoscan.outputs.csv_report import read_report
from pneumoscan.screener import Screener
from pneumoscan.validation import adopt, validate
from pneumoscan.validation.adoption import save_profile
from tests.core.validation.helpers import PROFILE_FIELDS, labelled_folder


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOSCAN_CONFIG_DIR", str(tmp_path / "config"))


def test_validate_reports_every_film_and_proposes_thresholds(tiny_manifest, tmp_path):
    root = labelled_folder(tmp_path / "site")
    report = validate([root], Screener(tiny_manifest), n_boot=200)
    assert report.counts["films"] == 100 and report.counts["pneumonia"] == 60
    assert report.not_used["unlabelled"] == [str(root / "misc" / "unlabelled.png")]
    assert len(report.not_used["unreadable"]) == 1
    names = [op.name for op in report.operating_points]
    assert names[0] == "shipped default" and "proposed site threshold" in names
    assert report.proposals["guaranteed"]["threshold"] is None  # 60 positives cannot prove 0.99
    assert report.summary.startswith("On your 100 films")


def test_cli_validate_writes_html_json_and_adopts(tiny_manifest, tmp_path, capsys):
    root = labelled_folder(tmp_path / "site")
    out = tmp_path / "v" / "validation.html"
    code = cli.main(
        [
            "validate",
            str(root),
            "--model",
            str(tiny_manifest),
            "--adopt",
            "clinic-a",
            "-o",
            str(out),
            "--bootstrap",
            "200",
        ]
    )
    assert code == 0
    html = out.read_text()
    for words in (
        "On your 100 films",
        "Proposed site thresholds",
        "needs at least 299 pneumonia films",
        "unlabelled: 1",
        "Clopper-Pearson",
    ):
        assert words in html
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["counts"]["films"] == 100
    profile = load_profile("clinic-a")
    assert profile.threshold == pytest.approx(data["proposals"]["site_target"]["threshold"])
    assert "clinic-a: threshold" in (cli.main(["profiles"]) == 0 and capsys.readouterr().out)


def test_screen_with_a_profile_records_it_in_every_row(tiny_manifest, tmp_path):
    root = labelled_folder(tmp_path / "site")
    report = validate([root], Screener(tiny_manifest), n_boot=100)
    save_profile(adopt(report, "clinic-b"))
    out = tmp_path / "r.csv"
    cli.main(
        [
            "screen",
            str(root / "PNEUMONIA"),
            "-o",
            str(out),
            "--model",
            str(tiny_manifest),
            "--profile",
            "clinic-b",
        ]
    )
    rows = read_report(out)
    assert {r["operating_point"] for r in rows} == {"site:clinic-b"}
    expected = report.proposals["site_target"]["threshold"]
    assert all(float(r["threshold"]) == pytest.approx(expected, abs=1e-6) for r in rows)


def test_validation_measures_the_shipped_model_whatever_profile_the_screener_is_on(tiny_manifest, tmp_path):
    """The workstation validates with its own screener, which may be on a site profile: the report's
    shipped figures must still be the shipped threshold's, on the shipped head's probabilities."""
    root = labelled_folder(tmp_path / "site")
    plain = validate([root], Screener(tiny_manifest), n_boot=100)
    screener = Screener(tiny_manifest)
    m = screener.manifest
    fields = {
        **PROFILE_FIELDS,
        "threshold": 0.99,
        "model_version": m.version,
        "model_sha256": m.data["sha256"],
    }
    screener.add_profile(SiteProfile(**fields))
    screener.operating_point = "site:p"
    on_site = validate([root], screener, n_boot=100)
    shipped = next(op for op in on_site.operating_points if op.key == "shipped")
    assert shipped.threshold == m.thresholds[m.default_operating_point]
    assert on_site.scores == plain.scores and on_site.summary == plain.summary


def test_profile_for_another_model_is_refused(tiny_manifest, tmp_path):
    bad = SiteProfile(
        name="old",
        threshold=0.4,
        rule="r",
        model_version="0",
        model_sha256="0" * 64,
        created="x",
        labelled_files_sha256="y",
    )
    save_profile(bad)
    with pytest.raises(ModelError, match="was measured with model 0"):
        Screener(tiny_manifest, profiles=[load_profile("old")])
    out = tmp_path / "r.csv"
    assert (
        cli.main(["screen", str(tmp_path), "-o", str(out), "--model", str(tiny_manifest), "--profile", "old"])
        == 2
    )


@pytest.mark.parametrize(
    "change, words",
    [
        ({"extra": 1}, "unknown profile field"),
        ({"threshold": float("nan")}, "from 0 to 1"),
        ({"threshold": "0.3"}, "from 0 to 1"),
        ({"name": "../x"}, "profile name"),
    ],
)
def test_profile_from_dict_rejects_bad_content(change, words):
    with pytest.raises(ProfileError, match=words):
        SiteProfile.from_dict({**PROFILE_FIELDS, **change})


def test_profiles_list_and_remove(tmp_path):
    p = SiteProfile(
        name="x",
        threshold=0.2,
        rule="r",
        model_version="v",
        model_sha256="s",
        created="c",
        labelled_files_sha256="h",
    )
    save_profile(p)
    assert [q.name for q in list_profiles()] == ["x"] and load_profile("x") == p
    assert cli.main(["profiles", "--remove", "x"]) == 0 and list_profiles() == []
    assert cli.main(["profiles", "--remove", "x"]) == 2


def test_a_report_that_cannot_be_written_at_the_end_is_a_message(
    tiny_manifest, tmp_path, monkeypatch, capsys
):
    from pneumoscan.validation import html

    root = labelled_folder(tmp_path / "site")

    def full_disk(report, out):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(html, "write", full_disk)
    code = cli.main(
        [
            "validate",
            str(root),
            "--model",
            str(tiny_manifest),
            "-o",
            str(tmp_path / "v.html"),
            "--bootstrap",
            "50",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "could not be written (No space left on device)" in err and "Traceback" not in err


def test_the_profile_list_marks_those_for_another_model(tiny_manifest, capsys):
    m = Screener(tiny_manifest).manifest
    save_profile(SiteProfile(**{**PROFILE_FIELDS, "name": "ours", "model_sha256": m.data["sha256"]}))
    save_profile(
        SiteProfile(**{**PROFILE_FIELDS, "name": "theirs", "model_sha256": "f" * 64}, gate={"shift": 0.2})
    )
    assert cli.main(["profiles", "--model", str(tiny_manifest)]) == 0
    lines = {line.split(":")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "another model" not in lines["ours"]
    assert "measured with another model: not used; validate again" in lines["theirs"]
    assert "site gate (shift 0.20)" in lines["theirs"]
