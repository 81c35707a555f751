"""The workstation, driven through the same code path as its menu (synchronous worker)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from desktop.dialogs import about_html
from desktop.results_model import COL_FILE, COL_PROB, COL_RESULT, RESULT_ROLE
from pneumoscan import cli
from pneumoscan.outputs.csv_report import read_report


def rows(window) -> list:
    return [window.proxy.index(r, 0).data(RESULT_ROLE) for r in range(window.proxy.rowCount())]


def test_open_folder_fills_the_table(window, mixed_folder):
    root, expected = mixed_folder
    window.open_paths([root])
    got = {r.path.name: r.status for r in rows(window)}
    assert got == expected
    assert "Screened 4" in window.summary_label.text() and "Errors 3" in window.summary_label.text()
    err_row = next(i for i, r in enumerate(rows(window)) if r.status == "error")
    idx = window.proxy.index(err_row, COL_RESULT)
    assert idx.data().startswith("ERROR: ") and idx.data(Qt.ItemDataRole.ToolTipRole).startswith("ERROR: ")


def test_default_order_is_the_triage_worklist(window, mixed_folder):
    window.open_paths([mixed_folder[0]])
    keys = []
    for r in rows(window):
        keys.append((r.flagged, r.ok, r.probability or -1))
    flagged = [k for k in keys if k[0]]
    assert keys[: len(flagged)] == flagged  # flagged first
    probs = [k[2] for k in keys if k[1]]
    ok_flags = [k[0] for k in keys if k[1]]
    assert ok_flags == sorted(ok_flags, reverse=True)
    for a, b in zip(keys, keys[1:]):
        if a[0] == b[0] and a[1] and b[1]:
            assert a[2] >= b[2]
    assert all(not k[1] for k in keys[len(probs) :])  # unscreened files last


@pytest.mark.parametrize(("mode", "count"), [("all", 8), ("flagged", 3), ("errors", 4)])
def test_filters(window, mixed_folder, mode, count):
    window.open_paths([mixed_folder[0]])
    window.filter_box.setCurrentText(mode.capitalize())
    assert window.proxy.rowCount() == count
    if mode == "flagged":
        assert all(r.flagged for r in rows(window))
    if mode == "errors":
        assert all(not r.ok for r in rows(window))


def test_operating_point_switch_relabels_without_rerun(window, mixed_folder, monkeypatch):
    window.open_paths([mixed_folder[0]])
    before = {r.path.name: r.probability for r in rows(window)}
    monkeypatch.setattr(window.screener, "predict", lambda *_: pytest.fail("model re-run"))
    window.screener.manifest.data["thresholds"]["balanced"] = 0.75  # above every tiny-model score
    window.op_box.setCurrentIndex(window.op_box.findData("balanced"))
    after = rows(window)
    assert {r.path.name: r.probability for r in after} == before
    assert all(r.operating_point == "balanced" and not r.flagged for r in after if r.ok)
    assert "Flagged 0" in window.summary_label.text()
    window.op_box.setCurrentIndex(window.op_box.findData("high_sensitivity"))
    assert "Flagged 3" in window.summary_label.text()


def test_cancel_mid_batch_keeps_partial_results(window, mixed_folder):
    root, expected = mixed_folder
    window.chunk_seconds = 0.0
    window.screener.batch_size = 1
    seen = []

    def on_results(rs):
        seen.extend(rs)
        if len(seen) >= 2:
            window.cancel()

    window.model.rowsInserted.connect(lambda *_: on_results(window.model.results[len(seen) :]))
    window.open_paths([root])
    n = len(window.model.results)
    assert 2 <= n < len(expected)
    assert "Cancelled" in window.rate_label.text()


def test_export_equals_cli_report(window, mixed_folder, tiny_manifest, tmp_path):
    root, _ = mixed_folder
    window.open_paths([root])
    gui_csv, cli_csv = tmp_path / "gui.csv", tmp_path / "cli.csv"
    window.export_csv(gui_csv)
    cli.main(["screen", str(root), "-o", str(cli_csv), "--model", str(tiny_manifest)])
    gui, cli_rows = read_report(gui_csv), read_report(cli_csv)
    assert gui_csv.read_bytes()[:300] == cli_csv.read_bytes()[:300]  # BOM and header, byte for byte
    for row in gui + cli_rows:
        row.pop("screened_at")  # the two runs may straddle a second
    assert gui == cli_rows
    window.export_csv(tmp_path / "nophi.csv", no_phi=True)
    assert "patient_name" not in read_report(tmp_path / "nophi.csv")[0]


def test_selecting_a_row_shows_image_heatmap_and_metadata(window, mixed_folder, qtbot):
    window.open_paths([mixed_folder[0]])
    view = window.table
    first_ok = next(i for i, r in enumerate(rows(window)) if r.ok)
    view.selectRow(first_ok)
    view.setCurrentIndex(window.proxy.index(first_ok, COL_FILE))
    viewer = window.viewer_panel.viewer
    assert not viewer.image_item.pixmap().isNull()
    assert not viewer.heat_item.pixmap().isNull()
    assert not viewer.heat_item.isVisible()
    window.act_heat.trigger()
    assert viewer.heat_item.isVisible()
    assert "Model version" in window.metadata.toHtml()


def test_dicom_window_level_and_reset(window, mixed_folder):
    window.open_paths([mixed_folder[0]])
    i = next(i for i, r in enumerate(rows(window)) if r.path.name == "c_dicom_noext")
    window.table.setCurrentIndex(window.proxy.index(i, COL_FILE))
    viewer = window.viewer_panel.viewer
    assert viewer.wl is not None
    before = viewer.image_item.pixmap().toImage()
    viewer.apply_window(60, 40)
    assert viewer.image_item.pixmap().toImage() != before
    viewer.reset_window()
    assert viewer.image_item.pixmap().toImage() == before


def test_keyboard_moves_through_results(window, mixed_folder, qtbot):
    window.open_paths([mixed_folder[0]])
    window.table.setFocus()
    start = window.table.currentIndex().row()
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.table.currentIndex().row() == start + 1
    qtbot.keyClick(window.table, Qt.Key.Key_Up)
    assert window.table.currentIndex().row() == start


def test_drop_opens_paths(window, mixed_folder):
    root, expected = mixed_folder
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(root))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert len(window.model.results) == len(expected)


def test_settings_are_remembered(qtbot, tiny_manifest, settings, mixed_folder):
    from desktop.main_window import MainWindow

    w = MainWindow(tiny_manifest, sync=True, settings=settings)
    qtbot.addWidget(w)
    w.resize(700, 500)
    w.op_box.setCurrentIndex(w.op_box.findData("balanced"))
    w.table.setColumnWidth(COL_PROB, 140)
    w.open_paths([mixed_folder[0]])
    w.close()
    w2 = MainWindow(tiny_manifest, sync=True, settings=settings)
    qtbot.addWidget(w2)
    assert w2.op_box.currentData() == "balanced"
    assert w2.table.columnWidth(COL_PROB) == 140
    assert settings.value("last_folder") == str(mixed_folder[0])
    assert w2.size().width() == 700


@pytest.mark.parametrize("chosen, remembered", [("balanced", "balanced"), ("high_sensitivity", None)])
def test_only_a_chosen_operating_point_is_remembered(qtbot, tiny_manifest, settings, chosen, remembered):
    """The model's default is not stored, so a new model's default applies after an update."""
    from desktop.main_window import OP_KEY, MainWindow

    settings.setValue("operating_point", "balanced")  # written by older versions: ignored
    w = MainWindow(tiny_manifest, sync=True, settings=settings)
    qtbot.addWidget(w)
    assert w.op_box.currentData() == "high_sensitivity"  # the test model's default
    w.op_box.setCurrentIndex(w.op_box.findData(chosen))
    w.close()
    assert settings.value(OP_KEY) == remembered


def test_about_box_states_intended_use(window):
    text = about_html(window.screener.manifest)
    assert "not a diagnosis" in text and "test model" in text


def test_about_box_says_what_the_default_keeps_with_the_scope_gate():
    from pneumoscan.model.manifest import Manifest

    manifest = Manifest.load(Path(__file__).resolve().parents[2] / "assets" / "model.json")
    gate = manifest.data["screening_gate"]
    text = about_html(manifest)
    k, n = gate["flagged_with_gate"], gate["films"]["pneumonia"]
    assert f"{k} of {n} validation pneumonia films flagged at screening" in text
    assert f"the {gate['refused']['pneumonia']} it refuses count as missed" in text


def test_thumbnail_cache_is_bounded(qtbot, tiny_manifest, settings, mixed_folder):
    from desktop.main_window import MainWindow

    w = MainWindow(tiny_manifest, sync=True, settings=settings)
    qtbot.addWidget(w)
    w.model.thumbs.max_items = 2
    w.open_paths([mixed_folder[0]])
    assert len(w.model.thumbs) <= 2
    assert all(r.thumbnail is None for r in w.model.results)
    # an evicted thumbnail is re-made in the background when the row is painted
    row = next(i for i, r in enumerate(w.model.results) if r.ok and w.model.thumbs.pixmap(i) is None)
    assert w.model.index(row, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert w.model.thumbs.pixmap(row) is not None


def test_space_toggles_heatmap_while_the_table_has_focus(window, mixed_folder, qtbot):
    window.open_paths([mixed_folder[0]])
    window.table.setFocus()
    box = window.viewer_panel.heat_box
    before = box.isChecked()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    assert box.isChecked() != before
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    assert box.isChecked() == before


def test_escape_cancels(window, qtbot):
    called = []
    window.current = type("W", (), {"cancel": lambda self: called.append(1)})()
    window.act_cancel.setEnabled(True)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)
    assert called == [1]


def test_reader_verdicts_with_one_key_move_on_and_show_in_the_worklist(window, mixed_folder, settings):
    """Issue 19: P / N / U record the selected film's verdict (appended) and select the next film."""
    from pneumoscan.verdicts import VerdictStore, key_of

    settings.setValue("reader_name", "dr test")
    window.open_paths([mixed_folder[0]])
    window.select_top()
    first = window.selected_result()
    window.verdicts.actions[0].trigger()  # P: pneumonia
    assert window.selected_result() is not first  # moved on
    second = window.selected_result()
    window.verdicts.actions[2].trigger()  # U: unsure
    latest = VerdictStore().latest()
    k1 = key_of(first.path, str(first.meta.get("SOPInstanceUID", "") or ""))
    assert latest[k1].verdict == "pneumonia" and latest[k1].reader == "dr test"
    assert latest[k1].model_version and latest[k1].ai_result
    assert first.reader_verdict == "pneumonia" and second.reader_verdict == "unsure"
    from desktop.results_model import COL_READER

    row = window.model.results.index(first)
    assert window.model.index(row, COL_READER).data() == "pneumonia"
    # a new screening of the same folder shows the verdicts already recorded
    window.open_paths([mixed_folder[0]])
    assert any(r.reader_verdict == "pneumonia" for r in window.model.results)
