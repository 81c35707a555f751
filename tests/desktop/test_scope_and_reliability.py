"""The workstation: out-of-scope group, gate switch, and results that always arrive (issues 8 and 10)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from desktop.results_model import COL_RESULT, OUT_OF_SCOPE_COLOUR, RESULT_ROLE
from desktop.viewer import downsample_for_display
from pneumoscan.reading.loader import LoadedImage
from tests.dicom_factory import gradient, write_dicom, write_rle_overrun


def rows(window) -> list:
    return [window.proxy.index(r, 0).data(RESULT_ROLE) for r in range(window.proxy.rowCount())]


@pytest.fixture
def scope_folder(mixed_folder):
    root, _ = mixed_folder
    write_dicom(root / "hip.dcm", gradient(256, 200), tags={"BodyPartExamined": "HIP"})
    write_dicom(root / "adult.dcm", gradient(256, 200), tags={"PatientAge": "051Y"})
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(root / "photo.png")
    return root


def test_out_of_scope_rows_are_their_own_grey_group_after_the_flagged(window, scope_folder):
    window.open_paths([scope_folder])
    got = rows(window)
    outside = [r for r in got if r.out_of_scope]
    assert {r.path.name for r in outside} == {"hip.dcm", "adult.dcm", "photo.png"}
    kinds = ["flagged" if r.flagged else "out" if r.out_of_scope else "ok" if r.ok else "err" for r in got]
    assert kinds == sorted(kinds, key=["flagged", "out", "ok", "err"].index)
    row = kinds.index("out")
    idx = window.proxy.index(row, COL_RESULT)
    assert idx.data().startswith("Not assessed: ")
    assert idx.data(Qt.ItemDataRole.ForegroundRole).color() == OUT_OF_SCOPE_COLOUR
    assert "Not assessed 3" in window.summary_label.text()
    window.filter_box.setCurrentIndex(window.filter_box.findData("out_of_scope"))
    assert window.proxy.rowCount() == 3 and all(r.out_of_scope for r in rows(window))


def test_details_panel_lists_every_check(window, scope_folder):
    window.open_paths([scope_folder])
    hip_row = next(i for i, r in enumerate(rows(window)) if r.path.name == "hip.dcm")
    window.table.selectRow(hip_row)
    text = window.metadata.toPlainText()
    assert "Check body_part" in text and "HIP in BodyPartExamined" in text and "Check colour" in text


def test_a_shipped_operating_point_never_changes_a_gate_verdict(window, scope_folder):
    """Only a site profile with its own gate re-judges refusals (tests/desktop/test_site_gate.py)."""
    window.open_paths([scope_folder])
    before = {r.path.name: r.status for r in rows(window)}
    window.op_box.setCurrentIndex(1)
    assert {r.path.name: r.status for r in rows(window)} == before


def test_gate_switch_off_scores_everything_and_says_so(window, scope_folder, settings):
    window.act_gate.setChecked(False)
    window.open_paths([scope_folder])
    got = {r.path.name: r for r in rows(window)}
    assert got["hip.dcm"].ok and got["hip.dcm"].probability is not None and not got["hip.dcm"].scope_gate
    assert any("Scope gate off: would be out of scope" in n for n in got["hip.dcm"].notes)
    assert "SCOPE GATE OFF" in window.summary_label.text()
    assert settings.value("scope_gate") in (False, "false")


def test_decoder_panic_in_the_background_worker_becomes_a_row(qtbot, tiny_manifest, settings, tmp_path):
    from desktop.main_window import MainWindow

    Image.fromarray(gradient(256, 200)).save(tmp_path / "good.png")
    write_rle_overrun(tmp_path / "panic.dcm")
    w = MainWindow(tiny_manifest, sync=False, settings=settings)
    qtbot.addWidget(w)
    w.open_paths([tmp_path])
    qtbot.waitUntil(lambda: w.current is None and w.model.rowCount() == 2, timeout=20000)
    got = {r.path.name: r.status for r in w.model.results}
    assert got == {"good.png": "ok", "panic.dcm": "error"}


def test_background_export_always_reports_its_outcome(
    qtbot, tiny_manifest, settings, mixed_folder, tmp_path, monkeypatch
):
    from desktop import main_window as mw

    w = mw.MainWindow(tiny_manifest, sync=False, settings=settings)
    qtbot.addWidget(w)
    w.open_paths([mixed_folder[0]])
    qtbot.waitUntil(lambda: w.current is None, timeout=20000)
    w.export_csv(tmp_path / "ok.csv")
    qtbot.waitUntil(lambda: w.last_export == tmp_path / "ok.csv", timeout=10000)
    assert "Report written" in w.statusBar().currentMessage()
    warnings = []
    monkeypatch.setattr(mw.QMessageBox, "warning", lambda *a: warnings.append(a))
    (tmp_path / "plain.txt").write_text("x")
    w.export_csv(tmp_path / "plain.txt" / "r.csv")  # a parent that is a file: cannot succeed
    qtbot.waitUntil(lambda: len(warnings) == 1, timeout=10000)
    assert warnings[0][1] == "Export failed"


@pytest.mark.parametrize("scale", [1, 256], ids=["12-bit", "8-bit-x256"])
def test_viewer_scales_16_bit_images_by_their_range(scale):
    px = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % (4096 if scale == 1 else 256)) * scale
    shown = downsample_for_display(LoadedImage(pixels=px.astype(np.uint16)))
    assert shown.pixels.dtype == np.uint8 and shown.pixels.max() == 255 and shown.pixels.min() == 0


@pytest.mark.parametrize("text", ['{"thresholds": NaN}', "null", "42", '{"version": "\\u0000"'])
def test_a_bad_manifest_is_a_message_not_a_crash(qtbot, settings, tmp_path, text, monkeypatch):
    from desktop import main_window as mw

    bad = tmp_path / "model.json"
    bad.write_text(text)
    w = mw.MainWindow(bad, sync=True, settings=settings)
    qtbot.addWidget(w)
    assert w.screener is None and "Model not loaded" in w.statusBar().currentMessage()
    shown = []
    monkeypatch.setattr(mw.QMessageBox, "critical", lambda *a: shown.append(a))
    w.open_paths([tmp_path])
    assert shown and "could not be loaded" in shown[0][2]
