"""The screening workstation window: open, screen, review, export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
)

from desktop import site_profiles, worker
from desktop.dialogs import ask_export_path
from desktop.panels import MetadataPanel, ViewerPanel
from desktop.results_model import RESULT_ROLE, ResultsModel, ResultsProxy
from desktop.results_table import ResultsTable
from desktop.viewer import downsample_for_display
from pneumoscan.errors import ModelError
from pneumoscan.outputs.publish import ModelInfo
from pneumoscan.results import ScreenResult
from pneumoscan.screener import Screener

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QComboBox

    from desktop.clinic import ClinicActions
    from desktop.dicom_node import NodeActions
    from desktop.reader_verdicts import ReaderVerdicts
    from pneumoscan.model.profiles import SiteProfile


#: a point the user chose over the model's default ("operating_point" held the old default too)
OP_KEY = "operating_point_v2"


class MainWindow(QMainWindow):
    """The workstation window. Its actions, menus and toolbar are built by ``desktop/menus.py``
    and declared here; the clinic features (``ClinicActions``) reach it by signals."""

    act_open_folder: QAction
    act_open_files: QAction
    act_export: QAction
    act_cancel: QAction
    act_heat: QAction
    act_about: QAction
    act_quit: QAction
    act_validate: QAction
    act_gate: QAction
    filter_box: QComboBox
    op_box: QComboBox
    clinic: ClinicActions
    node: NodeActions
    site_profiles: list[SiteProfile]
    verdicts: ReaderVerdicts

    def __init__(
        self,
        manifest: str | Path | None = None,
        sync: bool = False,
        settings: QSettings | None = None,
        threads: int = 2,
    ) -> None:
        super().__init__()
        # Decode threads run Python between C calls; a short GIL switch interval lets
        # the GUI thread win the GIL back quickly, which keeps the window responsive.
        sys.setswitchinterval(0.001)
        self.setWindowTitle("PneumoScan - chest X-ray pneumonia screening")
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("PneumoScan", "PneumoScan")
        self.runner = worker.Runner(sync=sync, pool=QThreadPool(self))
        self.runner.pool.setMaxThreadCount(2)
        self.screener: Screener | None = None
        self.model_problem = ""
        try:
            self.screener = Screener(manifest, threads=threads, background=not sync)
        except ModelError as exc:
            self.model_problem = str(exc)
        self.current: worker.Job | None = None
        self.user_picked_row = False  # once the user selects a row, screening never moves the selection
        self.chunk_seconds = 0.1  # how long results are gathered before the table is updated
        self.generation = 0
        self.last_export: Path | None = None
        self.batch_check = ""  # "Batch check: ok (...)" after a screening; the PDF export carries it
        self.last_paths: list[str | Path] = []
        self._build()
        self._restore()
        if self.model_problem:
            self.statusBar().showMessage(f"Model not loaded: {self.model_problem}")

    # --- construction -------------------------------------------------------------
    def _build(self) -> None:
        self.model = ResultsModel(self)
        self.model.thumbnail_needed.connect(self._make_thumbnail)
        self.proxy = ResultsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = ResultsTable(self, self.proxy)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)

        self.viewer_panel = ViewerPanel(self)
        self.metadata = MetadataPanel(self)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.viewer_panel)
        right.addWidget(self.metadata)
        right.setSizes([560, 200])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setSizes([640, 640])
        self.setCentralWidget(self.splitter)

        from desktop.menus import build_menus_and_toolbar

        self.site_profiles, self.profiles_left_out = site_profiles.load(self.screener)

        build_menus_and_toolbar(self)

        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(240)
        self.progress.setFormat("%v / %m")
        self.progress.hide()
        self.rate_label = QLabel("")
        self.summary_label = QLabel("Ready")
        self.statusBar().addWidget(self.summary_label, 1)
        self.statusBar().addPermanentWidget(self.clinic.notice)
        self.statusBar().addPermanentWidget(self.clinic.state_label)
        self.statusBar().addPermanentWidget(self.node.state_label)
        self.statusBar().addPermanentWidget(self.rate_label)
        self.statusBar().addPermanentWidget(self.progress)
        if self.profiles_left_out:  # until the first screening; listed in Help > About too
            names = ", ".join(why.split(": ", 1)[0] for why in self.profiles_left_out)
            self.summary_label.setText(f"Ready. Site profiles not used (why: Help > About): {names}")
            self.summary_label.setToolTip("\n".join(self.profiles_left_out))

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        header = s.value("columns_v2")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)
        splitter = s.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        gate = s.value("scope_gate", True)
        self.act_gate.setChecked(gate not in (False, "false", "0", 0))
        op = s.value(OP_KEY)
        idx = self.op_box.findData(op) if op else -1
        if idx >= 0:
            self.op_box.setCurrentIndex(idx)

    def closeEvent(self, event) -> None:
        self.cancel()
        self.clinic.stop_watch()
        self.node.stop()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("columns_v2", self.table.horizontalHeader().saveState())
        self.settings.setValue("splitter", self.splitter.saveState())
        op = self.op_box.currentData()
        if op and self.screener and op != self.screener.manifest.default_operating_point:
            self.settings.setValue(OP_KEY, op)
        else:  # the model's default is not stored: a new model's default applies
            self.settings.remove(OP_KEY)
        self.settings.setValue("scope_gate", self.act_gate.isChecked())
        self.settings.sync()
        self.runner.pool.waitForDone(5000)
        super().closeEvent(event)

    # --- opening and screening -------------------------------------------------------
    def choose_folder(self) -> None:
        start = str(self.settings.value("last_folder", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Open folder of chest X-rays", start)
        if folder:
            self.open_paths([folder])

    def choose_files(self) -> None:
        start = str(self.settings.value("last_folder", str(Path.home())))
        files, _ = QFileDialog.getOpenFileNames(self, "Open chest X-ray files", start, "All files (*)")
        if files:
            self.open_paths(files)

    def open_paths(self, paths: list[str | Path]) -> None:
        """Screen these files/folders; the menu, drag and drop and the command line all land here."""
        if not paths:
            return
        self.last_paths = list(paths)
        if self.screener is None:
            QMessageBox.critical(self, "PneumoScan", f"The model could not be loaded:\n{self.model_problem}")
            return
        first = Path(paths[0])
        self.settings.setValue("last_folder", str(first if first.is_dir() else first.parent))
        self.cancel()
        self.generation += 1
        gen = self.generation
        self.model.clear()
        self.user_picked_row = False
        self.viewer_panel.show_message("Screening... select a row to view it.")
        self.metadata.clear()
        job = worker.screen_job(self.screener, paths, chunk_seconds=self.chunk_seconds)
        # a job of an earlier folder (its generation) must not touch this one's rows
        job.signals.partial.connect(lambda rs: gen == self.generation and self.add_results(rs))
        job.signals.progress.connect(lambda p: gen == self.generation and self._progress(*p))
        job.signals.finished.connect(
            lambda _k, cancelled: gen == self.generation and self._finished(cancelled)
        )
        job.signals.failed.connect(
            lambda _k, msg: (
                gen == self.generation and self.statusBar().showMessage(f"Screening stopped: {msg}")
            )
        )
        self.current = job
        self.act_cancel.setEnabled(True)
        self.act_gate.setEnabled(False)  # one setting per screening: every row of it records the same
        self.runner.start(job)

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()

    def add_results(self, results: list[ScreenResult]) -> None:
        """Rows that arrive (a screening's chunks, a watch's arrivals) join the worklist."""
        had_rows = self.proxy.rowCount() > 0
        self.model.add_results(results)
        self._update_summary()
        self.act_export.setEnabled(True)
        self.clinic.results_changed(True)
        if not had_rows and self.proxy.rowCount():
            self.select_top()
            self.table.setFocus()

    def select_next(self) -> None:
        """Move the selection one row down the worklist (after a verdict)."""
        row = self.table.current_row()
        if row >= 0:
            self.table.select_row(row + 1)

    def select_top(self) -> None:
        """Select the first row of the worklist (programmatic: not a user choice)."""
        self._selecting = True
        if self.table.select_row(0):
            self.table.scrollToTop()
        self._selecting = False

    def _progress(self, done: int, total: int, rate: float, left: float) -> None:
        if done == 0:  # the job's first report: how many files were found
            self.progress.setRange(0, max(total, 1))
            self.progress.show()
        self.progress.setValue(done)
        self.rate_label.setText(f"{rate:.1f} images/s, {int(left) // 60}:{int(left) % 60:02d} left")

    def _finished(self, cancelled: bool) -> None:
        from pneumoscan.scope.batch import check_results

        self.current = None
        self.batch_check = ""
        if self.screener is not None and self.model.results:
            check = check_results(self.model.results, self.screener.batch_reference)
            self.batch_check = check.line
        self.act_cancel.setEnabled(False)
        self.act_gate.setEnabled(True)
        self.progress.hide()
        done = "Cancelled: results so far are kept" if cancelled else "Done"
        # the verdict beside "Done" (the summary's counts stay in view); the figures in the tooltip
        self.rate_label.setText(f"{done}   Batch check: {check.verdict}" if self.batch_check else done)
        self.rate_label.setToolTip(self.batch_check)
        self._update_summary()
        if not self.user_picked_row:
            self.select_top()

    def _update_summary(self) -> None:
        s = self.model.summary()
        gate = "" if self.act_gate.isChecked() else "   SCOPE GATE OFF (research use)"
        op = self.screener.operating_point if self.screener else ""
        site = "   validated at this site" if op.startswith("site:") else "   not validated at this site"
        self.summary_label.setText(
            f"Screened {s['screened']}   Flagged {s['flagged']}   Not assessed {s['out_of_scope']}   "
            f"Errors {s['errors']}   Skipped {s['skipped']}{gate}{site}"
        )

    # --- site validation and profiles (desktop/site_profiles.py) ----------------------------
    open_validation = site_profiles.open_validation
    add_site_profile = site_profiles.add_site_profile

    def set_scope_gate(self, on: bool) -> None:
        """Research switch: takes effect from the next screening; every row records it."""
        if self.screener is not None:
            self.screener.gate.enabled = bool(on)
        self.settings.setValue("scope_gate", bool(on))
        self._update_summary()

    # --- review ------------------------------------------------------------------------
    def set_filter(self, mode: str) -> None:
        self.proxy.set_mode(mode)

    def set_operating_point(self, name: str | None) -> None:
        if not name or self.screener is None:
            return
        self.screener.operating_point = name
        self.model.set_operating_point(name, self.screener.threshold, self.screener.site_gates.get(name))
        if name in self.screener.heads and any(
            r.ok and name not in r.head_probabilities for r in self.model.results
        ):
            # films screened before this profile's adapted head was loaded: screen them again with it
            self.statusBar().showMessage("Screening again with the site's adapted head...", 5000)
            self.open_paths(self.last_paths)
        self.proxy.invalidate()
        self._update_summary()
        selected = self.selected_result()
        # the selected row's threshold, label and (with a site gate) status and map may have changed
        if selected is not None:
            shown = getattr(self, "_shown", None)  # (result, image) the viewer shows now
            if shown is not None and shown[0] is selected:
                self._image_loaded(selected, shown[1])
            else:
                self.metadata.show_result(selected)
        self.settings.setValue("operating_point", name)

    def selected_result(self) -> ScreenResult | None:
        return self.table.current_result()

    def _row_selected(self, current, _previous) -> None:
        if not current.isValid():
            return
        if not getattr(self, "_selecting", False):
            self.user_picked_row = True
        result: ScreenResult = current.data(RESULT_ROLE)
        self.metadata.show_result(result)
        if result.status in ("error", "skipped"):
            self.viewer_panel.show_message(f"{result.path.name}\n\n{result.status.upper()}: {result.reason}")
            return
        task = worker.call(result, lambda p=result.path: downsample_for_display(worker.load_full(p)))
        task.signals.done.connect(self._image_loaded)
        task.signals.failed.connect(lambda r, msg: self.viewer_panel.show_message(f"Could not load: {msg}"))
        self.runner.start(task)

    def _image_loaded(self, result: ScreenResult, img) -> None:
        if self.selected_result() is result:
            self._shown = (result, img)
            self.viewer_panel.show_image(img, result)
            self.metadata.show_result(result, img)

    def _make_thumbnail(self, row: int) -> None:
        path, gen = self.model.results[row].path, self.generation
        task = worker.call(row, lambda p=path: worker.thumbnail_of(p))
        # a thumbnail made for a previous folder must not land on the new folder's row
        task.signals.done.connect(
            lambda r, thumb: gen == self.generation and self.model.set_thumbnail(r, thumb)
        )
        self.runner.start(task)

    # --- export --------------------------------------------------------------------------
    def choose_export(self) -> None:
        start = str(self.settings.value("last_folder", str(Path.home())))
        choice = ask_export_path(self, start)
        if choice:
            self.export_csv(*choice)

    def export_csv(self, path: Path, no_phi: bool = False) -> None:
        """Write the report off the GUI thread, from the result objects (input order)."""
        results, model = list(self.model.results), ModelInfo.of(self.screener)
        task = worker.call(path, lambda: worker.export_csv(path, results, no_phi, model))
        task.signals.done.connect(lambda p, _v: self._exported(p))
        task.signals.failed.connect(lambda p, msg: QMessageBox.warning(self, "Export failed", f"{p}\n{msg}"))
        self.runner.start(task)

    def _exported(self, path: Path) -> None:
        self.last_export = path
        self.statusBar().showMessage(f"Report written: {path}", 8000)

    # --- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()
