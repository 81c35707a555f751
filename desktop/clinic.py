"""Clinic integration in the window: watch a folder, export DICOM results and the PDF summary.

The window only adds these actions and forwards results; the work happens in
the core (``pneumoscan.watch``, ``pneumoscan.outputs.dicom``,
``pneumoscan.outputs.pdf``) on worker threads that never touch widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from desktop import worker
from desktop.worker import Job, JobControl
from pneumoscan.outputs.publish import ModelInfo, PublishOptions, publish, publish_pdf
from pneumoscan.results import ScreenResult
from pneumoscan.watch import FolderWatch, WatchOptions


def watch_job(watch: FolderWatch) -> Job:
    """Run a ``FolderWatch`` until the job is cancelled; the file in hand is finished first.

    Progress reports ``("started", how)`` once watching ("events" or "polling"), then
    ``("problem", message)`` for a step that failed and will be retried; each batch of
    arrivals is a partial result (a list of ``ScreenResult``)."""

    def run(control: JobControl) -> None:
        watch.on_results = lambda rs: control.partial(list(rs))
        try:
            watch.start()
            control.progress("started", watch.observer_kind)
            watch.run(control.cancel_event, on_error=lambda msg: control.progress("problem", msg))
        finally:
            watch.close()

    return Job(None, run)


@dataclass
class WatchChoice:
    folder: Path
    options: WatchOptions


class WatchDialog(QDialog):
    """Folder, report, optional DICOM results folder, daily PDF, polling for network shares."""

    def __init__(self, parent: QWidget | None, start_dir: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Watch a folder")
        form = QFormLayout(self)
        self.folder = QLineEdit(start_dir, self)
        self.report = QLineEdit("", self)
        self.dicom_out = QLineEdit("", self)
        self.dicom_out.setPlaceholderText("optional: where the PACS picks up results")
        for label, edit, pick in (
            ("Folder to watch", self.folder, self._pick_folder),
            ("Report (CSV)", self.report, self._pick_report),
            ("DICOM results to", self.dicom_out, self._pick_dicom),
        ):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            if pick is not None:
                button = QPushButton("Browse...", self)
                button.clicked.connect(pick)
                row.addWidget(button)
            form.addRow(label, row)
        self.pdf = QCheckBox("Daily PDF summary beside the report", self)
        self.poll = QCheckBox("Network share: poll instead of waiting for file events", self)
        self.no_phi = QCheckBox("Leave out patient data (report, PDF, DICOM results)", self)
        for box in (self.pdf, self.poll, self.no_phi):
            form.addRow(box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.folder.textChanged.connect(self._default_report)
        self._default_report(start_dir)

    def _default_report(self, folder: str) -> None:
        self.report.setText(str(Path(folder) / "pneumoscan_watch.csv") if folder else "")

    def _pick_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder to watch", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _pick_report(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Report (rows are added)", self.report.text(), "CSV (*.csv)"
        )
        if chosen:
            self.report.setText(chosen)

    def _pick_dicom(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for DICOM results", self.folder.text())
        if chosen:
            self.dicom_out.setText(chosen)

    def choice(self) -> WatchChoice | None:
        folder = Path(self.folder.text().strip())
        if not folder.is_dir() or not self.report.text().strip():
            return None
        report = Path(self.report.text().strip()).absolute()
        options = WatchOptions(
            report=report,
            dicom_out=Path(self.dicom_out.text().strip()).absolute()
            if self.dicom_out.text().strip()
            else None,
            pdf=report.with_name("pneumoscan_summary.pdf") if self.pdf.isChecked() else None,
            no_phi=self.no_phi.isChecked(),
            poll=self.poll.isChecked(),
        )
        return WatchChoice(folder, options)


class ClinicActions(QObject):
    """Watch Folder / Stop Watching, Export DICOM results, Export PDF, and the new-flagged notice."""

    arrived = Signal(list)  # a watch's new results, for the window's worklist

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.watcher: Job | None = None
        self.new_flagged = 0
        self.act_watch = QAction("&Watch Folder...", window)
        self.act_dicom = QAction("Export &DICOM Results...", window)
        self.act_pdf = QAction("Export &PDF Summary...", window)
        self.act_watch.triggered.connect(self.toggle_watch)
        self.act_dicom.triggered.connect(self.choose_dicom)
        self.act_pdf.triggered.connect(self.choose_pdf)
        for act in (self.act_dicom, self.act_pdf):
            act.setEnabled(False)
        self.notice = QPushButton("", window)
        self.notice.setStyleSheet(
            "QPushButton { background: #b71c1c; color: white; font-weight: bold; padding: 2px 8px; }"
        )
        self.notice.setToolTip(
            "Flagged films that arrived while watching: click to show the top of the worklist"
        )
        self.notice.clicked.connect(self.show_new_flagged)
        self.notice.hide()
        self.state_label = QPushButton("", window)
        self.state_label.setFlat(True)
        self.state_label.clicked.connect(self.toggle_watch)
        self.state_label.hide()

    @property
    def actions(self) -> list[QAction]:
        return [self.act_watch, self.act_dicom, self.act_pdf]

    def results_changed(self, has_results: bool) -> None:
        self.act_dicom.setEnabled(has_results)
        self.act_pdf.setEnabled(has_results)

    # --- watch ------------------------------------------------------------------------
    def toggle_watch(self) -> None:
        if self.watcher is not None:
            self.stop_watch()
            return
        start = str(self.window.settings.value("last_folder", str(Path.home())))
        dialog = WatchDialog(self.window, start)
        if dialog.exec():
            choice = dialog.choice()
            if choice is None:
                QMessageBox.warning(
                    self.window, "Watch a folder", "Choose an existing folder and a report file."
                )
                return
            self.start_watch(choice.folder, choice.options)

    def start_watch(self, folder: Path, options: WatchOptions) -> None:
        w = self.window
        if w.screener is None:
            QMessageBox.critical(w, "PneumoScan", f"The model could not be loaded:\n{w.model_problem}")
            return
        w.cancel()
        try:
            job = watch_job(FolderWatch(folder, w.screener, options))
        except (OSError, ValueError) as exc:  # WatchError: lock held, an output refused, state unusable
            QMessageBox.warning(w, "Watch a folder", str(exc))
            return
        self.folder, self.new_flagged = folder, 0
        job.signals.progress.connect(lambda p: self._watch_news(folder, *p))
        job.signals.partial.connect(self._arrived)
        job.signals.failed.connect(
            lambda _k, msg: QMessageBox.warning(w, "Watch a folder", f"Watching stopped: {msg}")
        )
        job.signals.finished.connect(lambda *_a: self._stopped())
        self.watcher = job
        self.act_watch.setText("Stop &Watching")
        for act in (w.act_open_folder, w.act_open_files, w.act_gate):
            act.setEnabled(False)
        self._state(f"Starting to watch {folder}...")
        w.runner.start(job)

    def _watch_news(self, folder: Path, kind: str, text: str) -> None:
        if kind == "started":
            self._state(f"Watching {folder} ({text}) - click to stop")
        else:
            self.window.statusBar().showMessage(f"Watch: {text}", 10000)

    def stop_watch(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            self._state("Stopping after the file in hand...")

    def _state(self, text: str) -> None:
        self.state_label.setText(text)
        self.state_label.show()

    def _arrived(self, results: list[ScreenResult]) -> None:
        self.arrived.emit(results)
        flagged = sum(r.flagged for r in results)
        if flagged:
            self.new_flagged += flagged
            self.notice.setText(
                f"{self.new_flagged} new flagged film{'s' if self.new_flagged > 1 else ''}: show"
            )
            self.notice.show()
        self.results_changed(True)

    def show_new_flagged(self) -> None:
        self.new_flagged = 0
        self.notice.hide()
        self.window.select_top()

    def _stopped(self) -> None:
        w = self.window
        self.watcher = None
        self.act_watch.setText("&Watch Folder...")
        for act in (w.act_open_folder, w.act_open_files, w.act_gate):
            act.setEnabled(True)
        self._state("Not watching")

    # --- exports ----------------------------------------------------------------------
    def choose_dicom(self) -> None:
        start = str(self.window.settings.value("last_folder", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self.window, "Folder for DICOM results (SC + SR)", start)
        if folder:
            self.export_dicom(Path(folder))

    def export_dicom(self, out: Path, no_phi: bool = False) -> None:
        w = self.window
        results, model = list(w.model.results), ModelInfo.of(w.screener)
        task = worker.call(out, lambda: publish(results, PublishOptions(dicom_out=out, no_phi=no_phi), model))
        task.signals.done.connect(
            lambda p, done: w.statusBar().showMessage(
                f"DICOM results: {done.dicom_files} files in {p}; {done.dicom_missing} inputs without one "
                f"(not DICOM or unreadable)" + (f"; {done.problems[0]}" if done.problems else ""),
                10000,
            )
        )
        task.signals.failed.connect(lambda p, msg: QMessageBox.warning(w, "Export failed", f"{p}\n{msg}"))
        w.runner.start(task)

    def choose_pdf(self) -> None:
        start = str(self.window.settings.value("last_folder", str(Path.home())))
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export PDF summary", str(Path(start) / "pneumoscan_summary.pdf"), "PDF (*.pdf)"
        )
        if path:
            self.export_pdf(Path(path))

    def export_pdf(self, path: Path, no_phi: bool = False) -> None:
        w = self.window
        results, model = list(w.model.results), ModelInfo.of(w.screener)
        task = worker.call(
            path, lambda: publish_pdf(results, path, model, no_phi, "PneumoScan batch summary", w.batch_check)
        )
        task.signals.done.connect(lambda p, _v: w.statusBar().showMessage(f"PDF summary written: {p}", 10000))
        task.signals.failed.connect(lambda p, msg: QMessageBox.warning(w, "Export failed", f"{p}\n{msg}"))
        w.runner.start(task)
