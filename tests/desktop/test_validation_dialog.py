"""Validate on local cases from the workstation: figures, plots, adopting a site operating point."""

from __future__ import annotations

from desktop.dialogs import about_html
from desktop.validation_dialog import ValidationDialog
from pneumoscan.model.profiles import list_profiles
from tests.core.validation.helpers import labelled_folder, site_with_refusals


def test_validate_and_adopt_from_the_dialog(window, tmp_path, qtbot):
    root = labelled_folder(tmp_path / "site")
    dialog = ValidationDialog(window, window.screener, window.runner, n_boot=100)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(root))
    dialog.start()  # the window's runner is synchronous in tests
    assert dialog.report is not None and dialog.summary.text().startswith("On your 100 films")
    assert "proposed site threshold" in dialog.table.toPlainText()
    assert dialog.figure_row.count() == 3  # ROC, histograms, calibration
    dialog.profile_adopted.connect(window.add_site_profile)
    profile = dialog.adopt("clinic-a")
    assert [p.name for p in list_profiles()] == ["clinic-a"]
    assert window.op_box.findData("site:clinic-a") >= 0
    window.op_box.setCurrentIndex(window.op_box.findData("site:clinic-a"))
    assert window.screener.threshold == profile.threshold
    assert "clinic-a" in about_html(window.screener.manifest, window.site_profiles)
    about = about_html(window.screener.manifest, window.site_profiles, window.screener.operating_point)
    assert "validated at this site (profile clinic-a)" in about
    dialog.grab().save(str(tmp_path / "dialog.png"))


def test_the_dialog_says_what_the_scope_gate_cost(window, tmp_path, qtbot):
    dialog = ValidationDialog(window, window.screener, window.runner, n_boot=100)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(site_with_refusals(tmp_path / "site")))
    dialog.start()
    assert (
        "The scope gate refused 4 of your labelled films (3.8%), 3 of them pneumonia" in dialog.summary.text()
    )
    text = dialog.table.toPlainText()
    assert (
        "The scope gate refused 4 of your 104 labelled films" in text
        and "Counting refused pneumonia films as not flagged" in text
    )
    dialog.resize(900, 700)
    dialog.grab().save(str(tmp_path / "dialog.png"))


def test_a_folder_without_labels_says_why(window, mixed_folder, qtbot):
    dialog = ValidationDialog(window, window.screener, window.runner, n_boot=50)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(mixed_folder[0]))
    dialog.start()
    assert dialog.report is None and "both classes" in dialog.summary.text()


def test_the_dialog_validates_from_reader_verdicts_and_says_how_far_each_claim_is(window, tmp_path, qtbot):
    """Issue 19: labels from the verdict database; the distance to each sensitivity claim is shown."""
    from pneumoscan.verdicts import Verdict, VerdictStore, key_of

    root = labelled_folder(tmp_path / "site")
    films = sorted((root / "NORMAL").glob("p*.png")) + sorted((root / "PNEUMONIA").glob("*.png"))
    VerdictStore().record(
        [Verdict(key_of(p), "pneumonia" if p.parent.name == "PNEUMONIA" else "normal") for p in films]
    )
    mixed = tmp_path / "unsorted"
    mixed.mkdir()
    for p in films:  # no folder names to learn from: the verdicts are the only labels
        (mixed / p.name).write_bytes(p.read_bytes())
    dialog = ValidationDialog(window, window.screener, window.runner, n_boot=50)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(mixed))
    dialog.from_verdicts.setChecked(True)
    dialog.start()
    assert dialog.report is not None and dialog.report.counts["films"] == 100
    text = dialog.table.toPlainText()
    assert "60 of the 299 pneumonia films needed to claim sensitivity 0.99" in text
    assert "59 of the 59 pneumonia films needed to claim sensitivity 0.95 (enough, if none is missed)" in text
