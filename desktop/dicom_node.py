"""File > DICOM Node...: the workstation as a DICOM node (``pneumoscan.node``), with its send queue.

The node runs in a ``Job`` (its own threads inside); the job reports the node's status line every
second and its arrivals as partial results, which join the worklist as a watched folder's do. The
window never touches the node's files: the queue dialog shows what the job last reported, and
"Retry now" only asks the outbox to try at its next round.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.worker import Job, JobControl
from pneumoscan.node.config import Caller, NodeConfigError, NodeOptions, Peer
from pneumoscan.node.service import DicomNode


def node_job(node: DicomNode) -> Job:
    """Serve until cancelled. Progress: ``("status", NodeStatus, waiting file names)`` every second,
    ``("problem", message)`` for events worth a look (a caller rejected, a send that failed)."""

    def run(control: JobControl) -> None:
        node.watch.on_results = lambda rs: control.partial(list(rs))
        node.on_event = node.outbox.on_event = node.acceptor.on_event = lambda m: control.progress(
            "problem", m
        )
        node.start()
        serving = threading.Thread(
            target=node.run,
            args=(control.cancel_event,),
            kwargs={"on_error": lambda m: control.progress("problem", m)},
            daemon=True,
        )
        serving.start()
        while serving.is_alive():
            control.progress("status", node.status(), [p.name for p in node.outbox.waiting()])
            serving.join(1.0)

    return Job(None, run)


class NodeDialog(QDialog):
    """AE title, port, bind address, allowed callers, destination PACS, report, spool, PHI switch."""

    def __init__(self, parent: QWidget | None, settings: QSettings, default_dir: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("DICOM node")
        self.setMinimumWidth(560)
        form = QFormLayout(self)

        def text(key: str, default: str, hint: str = "") -> QLineEdit:
            edit = QLineEdit(str(settings.value(f"node/{key}", default)), self)
            edit.setPlaceholderText(hint)
            return edit

        self.settings = settings
        self.aet = text("aet", "PNEUMOSCAN")
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(int(settings.value("node/port", 11112)))
        self.bind = text("bind", "127.0.0.1", "127.0.0.1 = this computer only")
        self.allow = text("allow", "", "e.g. XRAY1, PACS@10.0.0.5 (required for a network address)")
        self.send_to = text("send_to", "", "e.g. PACS@10.0.0.5:104 (optional)")
        self.report = text("report", str(default_dir / "pneumoscan_node.csv"))
        self.spool = text("spool", str(default_dir / "pneumoscan_spool"))
        self.no_phi = QCheckBox("Leave out patient data (report, PDF, DICOM results)", self)
        self.no_phi.setChecked(settings.value("node/no_phi", "false") == "true")
        for label, widget in (
            ("AE title", self.aet),
            ("Port", self.port),
            ("Listen on address", self.bind),
            ("Allowed callers", self.allow),
            ("Send results to", self.send_to),
            ("Report (CSV)", self.report),
            ("Spool folder", self.spool),
        ):
            form.addRow(label, widget)
        form.addRow(self.no_phi)
        self.problem = QLabel("", self)
        self.problem.setStyleSheet("color: #b71c1c")
        form.addRow(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def options(self) -> NodeOptions:
        """The settings as ``NodeOptions``; raises ``NodeConfigError`` with the reason."""
        allow = [Caller.parse(a) for a in self.allow.text().replace(";", ",").split(",") if a.strip()]
        return NodeOptions(
            aet=self.aet.text().strip(),
            port=self.port.value(),
            bind=self.bind.text().strip() or "127.0.0.1",
            allow=allow,
            send_to=Peer.parse(self.send_to.text().strip()) if self.send_to.text().strip() else None,
            spool=Path(self.spool.text().strip()).absolute(),
            report=Path(self.report.text().strip()).absolute(),
            no_phi=self.no_phi.isChecked(),
        ).check()

    def _accept(self) -> None:
        try:
            self.options()
        except NodeConfigError as exc:
            self.problem.setText(str(exc))
            return
        for key, edit in (("aet", self.aet), ("bind", self.bind), ("allow", self.allow)):
            self.settings.setValue(f"node/{key}", edit.text())
        for key, edit in (("send_to", self.send_to), ("report", self.report), ("spool", self.spool)):
            self.settings.setValue(f"node/{key}", edit.text())
        self.settings.setValue("node/port", self.port.value())
        self.settings.setValue("node/no_phi", "true" if self.no_phi.isChecked() else "false")
        self.accept()


class QueueDialog(QDialog):
    """The results waiting for the PACS, the last send error, and Retry now."""

    def __init__(self, parent: QWidget, actions: NodeActions) -> None:
        super().__init__(parent)
        self.setWindowTitle("Results waiting for the PACS")
        self.resize(640, 360)
        self.actions = actions
        layout = QVBoxLayout(self)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.files = QListWidget(self)
        self.retry = QPushButton("Retry now", self)
        self.retry.clicked.connect(actions.retry_now)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        for widget in (self.summary, self.files, self.retry, close):
            layout.addWidget(widget)
        actions.status_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        status, names = self.actions.status, self.actions.waiting
        if status is None:
            self.summary.setText("The DICOM node is not running.")
        else:
            error = f"\nLast send error: {status.last_error}" if status.last_error else ""
            self.summary.setText(f"{status.waiting} waiting, {status.sent} sent.{error}")
        self.files.clear()
        self.files.addItems(names)
        self.retry.setEnabled(bool(names))


class NodeActions(QObject):
    """File > DICOM Node... (start/stop), File > DICOM Send Queue..., and the status-bar line."""

    arrived = Signal(list)  # new results, for the window's worklist
    status_changed = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.job: Job | None = None
        self.node: DicomNode | None = None
        self.status = None
        self.waiting: list[str] = []
        self.act_node = QAction("DICOM &Node...", window)
        self.act_queue = QAction("DICOM &Send Queue...", window)
        self.act_node.triggered.connect(self.toggle)
        self.act_queue.triggered.connect(lambda: QueueDialog(self.window, self).exec())
        self.state_label = QPushButton("", window)
        self.state_label.setFlat(True)
        self.state_label.setToolTip("The DICOM node: click for the results waiting for the PACS")
        self.state_label.clicked.connect(self.act_queue.trigger)
        self.state_label.hide()

    @property
    def actions(self) -> list[QAction]:
        return [self.act_node, self.act_queue]

    def toggle(self) -> None:
        if self.job is not None:
            self.stop()
            return
        dialog = NodeDialog(self.window, self.window.settings, Path.home())
        if dialog.exec():
            self.start(dialog.options())

    def start(self, options: NodeOptions) -> bool:
        w = self.window
        if w.screener is None:
            QMessageBox.critical(w, "PneumoScan", f"The model could not be loaded:\n{w.model_problem}")
            return False
        try:
            self.node = DicomNode(w.screener, options)
        except (OSError, ValueError) as exc:  # a setting, the report's lock, an output refused
            QMessageBox.warning(w, "DICOM node", str(exc))
            return False
        job = node_job(self.node)
        job.signals.progress.connect(lambda p: self._news(*p))
        job.signals.partial.connect(self.arrived.emit)
        job.signals.failed.connect(
            lambda _k, msg: QMessageBox.warning(w, "DICOM node", f"The node stopped: {msg}")
        )
        job.signals.finished.connect(lambda *_a: self._stopped())
        self.job = job
        self.act_node.setText("Stop DICOM &Node")
        self._show(f"Starting the DICOM node as {options.aet} on {options.port}...")
        w.runner.start(job)
        return True

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._show("DICOM node: stopping after the instance in hand...")

    def retry_now(self) -> None:
        if self.node is not None:
            self.node.outbox.retry_now()

    def _news(self, kind: str, *values) -> None:
        if kind == "status":
            self.status, self.waiting = values[0], list(values[1])
            self._show(self.status.line)
            error = self.status.last_error if self.status.waiting else ""
            self.state_label.setToolTip(
                (f"Last send error: {error}\n" if error else "")
                + "Click for the results waiting for the PACS"
            )
            self.status_changed.emit()
        else:
            self.window.statusBar().showMessage(f"DICOM node: {values[0]}", 10000)

    def _show(self, text: str) -> None:
        self.state_label.setText(text)
        self.state_label.show()

    def _stopped(self) -> None:
        self.job = self.node = None
        self.act_node.setText("DICOM &Node...")
        self._show("DICOM node stopped" + (f": {self.status.line.split(': ', 1)[1]}" if self.status else ""))
        self.status_changed.emit()
