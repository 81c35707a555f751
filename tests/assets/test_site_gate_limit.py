"""The shipped limit on a site's own gate: measured, pinned inside the model, enforced on profiles,
and applied when films are screened under a profile that carries a site gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from pneumoscan.errors import ModelError
from pneumoscan.model.manifest import default_assets_dir
from pneumoscan.model.profiles import SiteProfile
from pneumoscan.scope.site_gate import max_shift, site_thresholds
from pneumoscan.screener import Screener
from tests.core.validation.helpers import PROFILE_FIELDS
from tests.shared import REFUSED_BY_GATES as REFUSED
from tests.shared import data_dir, gated_site

ASSETS = default_assets_dir()


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(ASSETS / "model.json")


def profile(screener: Screener, shift: float | None, name: str = "clinic") -> SiteProfile:
    m = screener.manifest
    fields = {**PROFILE_FIELDS, "name": name, "model_version": m.version, "model_sha256": m.data["sha256"]}
    return SiteProfile(**fields, gate=None if shift is None else {"shift": shift})


def test_the_limit_is_measured_and_keeps_the_issues_adult_bar(screener):
    limit = screener.gate.config["site_limit"]
    rows = {row["shift"]: row for row in limit["refused_by_shift"]}
    at = rows[limit["max_shift"]]
    assert 0 < limit["max_shift"] == max_shift(screener.gate.config)
    assert at["adult_cxr"] >= 0.85 * limit["images"]["adult_cxr"]
    for cls, n in limit["images"].items():  # every other never-trained image still refused there
        if cls != "adult_cxr":
            assert at[cls] == rows[0.0][cls] == n
    assert "convert.site_gate_limit" in limit["command"]


def test_a_profiles_gate_within_the_limit_is_loaded(screener):
    p = profile(screener, 0.2)
    screener.add_profile(p)
    assert screener.site_gates[p.operating_point] == pytest.approx(site_thresholds(screener.gate.config, 0.2))
    screener.add_profile(profile(screener, None))  # adopted again without a gate: the shipped one
    assert p.operating_point not in screener.site_gates


def test_a_profiles_recorded_thresholds_are_a_record_not_the_rule(screener):
    """Only the shift counts: thresholds written into a profile (by hand, or by another model's
    gate) are recomputed from the installed gate, so they cannot loosen it further."""
    p = profile(screener, 0.2, "edited")
    edited = SiteProfile(**{**p.__dict__, "gate": {"shift": 0.2, "thresholds": {"classifier": 0.0}}})
    screener.add_profile(edited)
    assert screener.site_gates[edited.operating_point] == pytest.approx(
        site_thresholds(screener.gate.config, 0.2)
    )


def test_a_profile_looser_than_the_limit_is_refused(screener):
    with pytest.raises(ModelError, match="further than this model allows"):
        screener.add_profile(profile(screener, max_shift(screener.gate.config) + 0.5, "loose"))


def test_screening_under_a_site_gate_assesses_what_the_shipped_gate_refused(screener, monkeypatch):
    """A Guangzhou validation film the second gate refuses (score 0.004): under a profile whose gate
    reaches it (forced here: no shipped limit reaches that far) it is assessed, with the note."""
    film = data_dir() / "chest_xray" / "train" / "NORMAL" / "NORMAL2-IM-0587-0001-0001.jpeg"
    if not film.exists():
        pytest.skip(f"{film.name} not in the shared data")
    (shipped,) = screener.screen([film])
    assert shipped.out_of_scope
    monkeypatch.setitem(screener.site_gates, screener.operating_point, {"classifier_hospitals": 0.001})
    (site,) = screener.screen([film])
    assert site.ok and site.probability is not None and site.cam is not None
    assert any("passes this site's gate" in c.reason for c in site.checks)
    site.with_threshold(screener.operating_point, screener.threshold, None)
    assert site.out_of_scope and site.reason == shipped.reason


@pytest.fixture
def site_labels(tmp_path) -> tuple[Path, list[Path]]:
    """A labels CSV: the four refused films and 40 of each class the gates pass (real films)."""
    train, films = gated_site(40)
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\n" + "".join(f"{train / k},{v}\n" for k, v in films.items()))
    return labels, [train / k for k in films]


def test_validate_proposes_adopts_and_screens_with_a_site_gate(screener, site_labels, monkeypatch):
    """End to end with the shipped model on real films. The shipped limit (0.35) reaches none of
    these refusals, so the limit is widened here for the screener that validates; a screener with the
    shipped limit then refuses the adopted profile, as a site's would."""
    from pneumoscan.validation import adopt, validate

    labels, paths = site_labels
    train = data_dir() / "chest_xray" / "train"
    monkeypatch.setitem(
        screener.gate.config, "site_limit", {**screener.gate.config["site_limit"], "max_shift": 5.0}
    )
    report = validate(paths, screener, labels, n_boot=100)
    proposal = report.scope["site_gate"]
    assert proposal["refused_before"]["k"] >= 4 and 3.4 < proposal["shift"] < 5.0
    assert {f["path"] for f in proposal["let_through"]} >= {str(train / k) for k in list(REFUSED)[2:]}
    profile = adopt(report, "widened")
    assert profile.gate_shift == pytest.approx(proposal["shift"])
    with pytest.raises(ModelError, match="further than this model allows"):
        Screener(ASSETS / "model.json", profiles=[profile])
    site = Screener(ASSETS / "model.json")
    site.gate.config["site_limit"]["max_shift"] = 5.0  # this object only, as above
    site.add_profile(profile)
    site.operating_point = profile.operating_point
    results = {r.path.name: r for r in site.screen([train / k for k in REFUSED])}
    through = {Path(f["path"]).name for f in proposal["let_through"]}
    assert {n for n, r in results.items() if r.ok} == through  # screening agrees with the proposal


def test_the_cli_says_why_no_site_gate_is_proposed_and_adopts_the_shipped_one(site_labels, tmp_path, capsys):
    """With the shipped limit, none of these refusals is within reach: said, and nothing loosened."""
    from pneumoscan import cli
    from pneumoscan.model.profiles import load_profile

    labels, paths = site_labels
    folder = tmp_path / "films"
    folder.mkdir()
    for p in paths:
        (folder / p.name).symlink_to(p)
    labels.write_text("path,label\n" + "".join(f"{folder / p.name},{p.parent.name}\n" for p in paths))
    out = tmp_path / "v.html"
    args = ["validate", str(folder), "--labels", str(labels), "-o", str(out), "--bootstrap", "100"]
    assert cli.main([*args, "--adopt", "here", "--shipped-gate"]) == 0
    printed = capsys.readouterr().out
    assert "No site gate proposed: no refused film comes within the shipped limit (shift 0.35)." in printed
    assert load_profile("here").gate is None
    assert "What the scope gate cost here" in out.read_text()


@pytest.mark.parametrize("threshold", [None, "0.9"])
def test_screen_with_a_profiles_gate_assesses_and_says_so_in_the_report(
    screener, tmp_path, monkeypatch, threshold
):
    """``screen --profile`` (and a custom ``--threshold`` beside it) keeps the profile's gate; the
    report's notes say which films only the site's gate let through. The limit is widened in this
    process only (none of these films is within the shipped one)."""
    import csv

    from pneumoscan import cli
    from pneumoscan import screener as screener_module
    from pneumoscan.scope import site_gate
    from pneumoscan.validation.adoption import save_profile

    train, _films = gated_site(0)
    for module in (screener_module, site_gate):
        monkeypatch.setattr(module, "max_shift", lambda config: 5.0)
    save_profile(profile(screener, 4.6, "wide"))
    out = tmp_path / "r.csv"
    args = ["screen", *(str(train / k) for k in REFUSED), "-o", str(out), "--profile", "wide"]
    assert cli.main(args + (["--threshold", threshold] if threshold else [])) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["ok"] * len(REFUSED)
    assert all("passes this site's gate" in r["notes"] for r in rows)
    assert {r["operating_point"] for r in rows} == {"custom" if threshold else "site:wide"}
