"""A site profile with its own gate in the workstation: switching to it re-judges the learned gates'
refusals without a new run; switching back restores the shipped verdicts; the dialog offers it."""

from __future__ import annotations

import pytest

from desktop.validation_dialog import ValidationDialog
from pneumoscan.model.manifest import default_assets_dir
from pneumoscan.model.profiles import SiteProfile, list_profiles
from tests.core.validation.helpers import PROFILE_FIELDS
from tests.shared import REFUSED_BY_GATES as REFUSED
from tests.shared import gated_site

REFUSED_NAMES = [p.split("/")[1] for p in REFUSED]


def _result(w, row: int):
    from desktop.results_model import RESULT_ROLE

    return w.proxy.index(row, 0).data(RESULT_ROLE)


@pytest.fixture
def shipped_window(qtbot, settings):
    from desktop.main_window import MainWindow

    w = MainWindow(default_assets_dir() / "model.json", sync=True, settings=settings)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def site_folder(tmp_path):
    """Links to the validation films the learned gates refuse, and to 30 of each class they pass."""
    train, films = gated_site(30)
    for rel in films:
        (tmp_path / "site" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "site" / rel).symlink_to(train / rel)
    return tmp_path / "site"


def test_switching_to_a_site_gate_relabels_the_refused_rows(shipped_window, site_folder, tmp_path):
    w = shipped_window
    w.open_paths([site_folder])
    refused = {r.path.name for r in w.model.results if r.out_of_scope}
    assert {p.split("/")[1] for p in REFUSED} <= refused
    w.screener.gate.config["site_limit"]["max_shift"] = 5.0  # this window only: no shipped limit reaches them
    m = w.screener.manifest
    profile = SiteProfile(
        **{**PROFILE_FIELDS, "name": "wide", "model_version": m.version, "model_sha256": m.data["sha256"]},
        gate={"shift": 4.6},
    )
    w.add_site_profile(profile)
    name = REFUSED_NAMES[2]
    w.table.selectRow(next(i for i in range(w.proxy.rowCount()) if _result(w, i).path.name == name))
    assert "Not assessed" in w.metadata.toPlainText()
    w.op_box.setCurrentIndex(w.op_box.findData("site:wide"))
    assert w.op_box.currentText() == "site:wide (0.300, site gate)"
    text = w.metadata.toPlainText()  # the selected row is shown again, as the site gate judges it
    assert "passes this site's gate" in text and "site:wide" in text
    w.grab().save(str(tmp_path / "site-gate-selected.png"))
    from desktop.dialogs import about_html

    about = about_html(m, w.site_profiles, w.screener.operating_point)
    assert "its own scope gate (learned gates loosened by 4.60)" in about
    now = {r.path.name: r for r in w.model.results}
    assert all(now[p.split("/")[1]].ok for p in REFUSED)
    assert f"Not assessed {len(refused) - len(REFUSED)} " in w.summary_label.text()
    w.grab().save(str(tmp_path / "site-gate.png"))
    w.op_box.setCurrentIndex(w.op_box.findData(m.default_operating_point))
    assert {r.path.name for r in w.model.results if r.out_of_scope} == refused


def test_the_dialog_offers_the_proposed_gate_and_adopts_without_it_when_unticked(
    shipped_window, site_folder, qtbot, tmp_path
):
    w = shipped_window
    w.screener.gate.config["site_limit"]["max_shift"] = 5.0
    dialog = ValidationDialog(w, w.screener, w.runner, n_boot=100)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.folder.setText(str(site_folder))
    dialog.start()
    assert dialog.report.scope["site_gate"]["shift"] > 0
    assert dialog.take_gate.isVisible() and "Proposed site gate" in dialog.table.toPlainText()
    dialog.grab().save(str(tmp_path / "dialog-site-gate.png"))
    dialog.take_gate.setChecked(False)
    assert dialog.adopt("plain").gate is None
    dialog.take_gate.setChecked(True)
    assert dialog.adopt("gated").gate_shift == dialog.report.scope["site_gate"]["shift"]
    assert {p.name for p in list_profiles()} == {"plain", "gated"}


def test_profiles_this_model_cannot_use_are_said_not_dropped(qtbot, tiny_manifest, settings):
    """After a model change (this stop's pinned limit changed the model file) a site's profile no
    longer applies: the window says which and why, in the status bar and in the About box."""
    from desktop.dialogs import about_html
    from desktop.main_window import MainWindow
    from pneumoscan.model.manifest import Manifest
    from pneumoscan.model.profiles import profiles_dir
    from pneumoscan.validation.adoption import save_profile

    m = Manifest.load(tiny_manifest)
    ours = {**PROFILE_FIELDS, "model_version": m.version, "model_sha256": m.data["sha256"]}
    save_profile(SiteProfile(**{**ours, "name": "fine"}))
    save_profile(SiteProfile(**{**PROFILE_FIELDS, "name": "old-model", "model_sha256": "f" * 64}))
    save_profile(
        SiteProfile(**{**ours, "name": "too-loose"}, gate={"shift": 1.0})
    )  # this model ships no limit
    (profiles_dir() / "broken.json").write_text("{", encoding="utf-8")
    w = MainWindow(tiny_manifest, sync=True, settings=settings)
    qtbot.addWidget(w)
    assert [p.name for p in w.site_profiles] == ["fine"]
    w.show()
    w.grab().save(str(settings.fileName()).replace("settings.ini", "left-out.png"))
    said = w.summary_label.text()
    for name in ("old-model", "too-loose", "broken.json"):
        assert name in said
    about = about_html(w.screener.manifest, w.site_profiles, w.screener.operating_point, w.profiles_left_out)
    assert "Site profiles not used" in about and "further than this model allows" in about
