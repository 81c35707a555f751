"""GUI clinic actions: Watch Folder (start, arrivals, notice, stop), DICOM and PDF exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pypdf import PdfReader

from pneumoscan.watch import WatchOptions
from tests.dicom_factory import gradient, write_dicom


def corner_image(bright: bool) -> np.ndarray:
    """The tiny test model scores the top-left corner: the gradient is flagged, its negative not."""
    img = gradient(256, 224)
    return img if bright else 255 - img


def test_watch_folder_arrivals_notice_and_stop(live_window, qtbot, tmp_path):
    w = live_window
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    options = WatchOptions(report=tmp_path / "watch.csv", settle=0.3, rescan=3600.0)
    w.clinic.start_watch(inbox, options)
    qtbot.waitUntil(lambda: "Watching" in w.clinic.state_label.text(), timeout=20000)
    assert not w.act_open_folder.isEnabled() and w.clinic.act_watch.text() == "Stop &Watching"
    Image.fromarray(corner_image(False)).save(inbox / "a_normal.png")
    Image.fromarray(corner_image(True)).save(inbox / "b_flagged.png")
    qtbot.waitUntil(lambda: len(w.model.results) == 2, timeout=30000)
    assert w.clinic.notice.isVisible() and "1 new flagged film" in w.clinic.notice.text()
    top = w.proxy.mapToSource(w.proxy.index(0, 0)).row()
    assert Path(w.model.results[top].path).name == "b_flagged.png"  # flagged arrivals lead the worklist
    w.grab().save(str(tmp_path / "watching.png"))
    w.clinic.notice.click()
    assert not w.clinic.notice.isVisible()
    w.clinic.stop_watch()
    qtbot.waitUntil(lambda: w.clinic.watcher is None, timeout=20000)
    assert w.act_open_folder.isEnabled() and "Not watching" in w.clinic.state_label.text()
    assert len(options.report.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_watch_dialog_choice(qtbot, tmp_path):
    from desktop.clinic import WatchDialog

    dialog = WatchDialog(None, str(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.report.text() == str(tmp_path / "pneumoscan_watch.csv")
    dialog.pdf.setChecked(True)
    dialog.poll.setChecked(True)
    dialog.dicom_out.setText(str(tmp_path / "to_pacs"))
    choice = dialog.choice()
    assert choice.folder == tmp_path and choice.options.poll
    assert choice.options.pdf == tmp_path / "pneumoscan_summary.pdf"
    assert choice.options.dicom_out == tmp_path / "to_pacs"
    dialog.folder.setText(str(tmp_path / "missing"))
    assert dialog.choice() is None


def test_export_dicom_results_and_pdf(window, tmp_path):
    folder = tmp_path / "films"
    folder.mkdir()
    src = write_dicom(folder / "film.dcm", corner_image(True), "explicit")
    Image.fromarray(corner_image(False)).save(folder / "other.png")
    window.open_paths([folder])
    assert len(window.model.results) == 2 and window.clinic.act_dicom.isEnabled()
    window.clinic.export_dicom(tmp_path / "pacs")
    written = sorted((tmp_path / "pacs").glob("*.dcm"))
    assert len(written) == 2
    study = pydicom.dcmread(src).StudyInstanceUID
    assert {pydicom.dcmread(p).StudyInstanceUID for p in written} == {study}
    assert "2 files" in window.statusBar().currentMessage()
    window.clinic.export_pdf(tmp_path / "summary.pdf")
    text = "".join(p.extract_text() for p in PdfReader(str(tmp_path / "summary.pdf")).pages)
    assert "Flagged films (1)" in text and "film.dcm" in text
