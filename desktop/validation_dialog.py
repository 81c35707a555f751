"""Validate on local cases: run ``pneumoscan.validation.validate`` in the background, show the
figures and plots, save the report, adopt the proposed threshold as a site profile.

The dialog holds no statistics and no file logic: it takes the core's
``ValidationReport`` and calls ``adopt``/``save_profile``.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.worker import Job, JobControl
from pneumoscan.model.profiles import ProfileError, SiteProfile
from pneumoscan.validation import ValidationReport, adopt, validate
from pneumoscan.validation.adoption import save_profile


def validation_job(
    screener, folder: str, labels: str | None, target: float, n_boot: int = 2000, from_verdicts: bool = False
) -> Job:
    """``validate`` and its figures (PNG bytes, drawn here: never on the GUI thread), as one job.

    Labels come from folder names, a labels CSV, or (``from_verdicts``) the readers' verdicts.
    Progress reports ``(done, total)``; the value is ``(ValidationReport, [png, ...])``.
    A cancelled run fails with a message: no figures from a partial folder."""

    def run(control: JobControl):
        from pneumoscan.validation import plots

        if from_verdicts:
            from pneumoscan.validation.labels import labels_from_verdicts
            from pneumoscan.verdicts import VerdictStore

            labels_in = labels_from_verdicts(VerdictStore())[0]
        else:
            labels_in = labels

        try:
            report = validate(
                [folder], screener, labels_in, target, control.cancel_event, control.progress, n_boot=n_boot
            )
        except Exception as exc:
            if control.cancelled:
                raise RuntimeError("Cancelled.") from exc
            raise
        if control.cancelled:
            raise RuntimeError("Cancelled: no figures were computed from a partial folder.")
        pngs = list(plots.draw(report.scores, report.operating_points).values()) if plots.available() else []
        return report, pngs

    return Job(None, run)


class ValidationDialog(QDialog):
    profile_adopted = Signal(object)  # SiteProfile

    def __init__(self, parent, screener, runner, n_boot: int = 2000) -> None:
        super().__init__(parent)
        self.setWindowTitle("Validate on local cases")
        self.resize(980, 760)
        self.screener, self.runner, self.n_boot = screener, runner, n_boot
        self.job: Job | None = None
        self.report: ValidationReport | None = None

        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText(
            "folder with NORMAL/ and PNEUMONIA/ sub-folders (or any, with a labels CSV)"
        )
        self.labels = QLineEdit(self)
        self.labels.setPlaceholderText("optional: CSV with path or sop_instance_uid, and label")
        self.target = QDoubleSpinBox(self)
        self.target.setRange(0.80, 0.999)
        self.target.setDecimals(3)
        self.target.setSingleStep(0.005)
        self.target.setValue(0.99)
        browse_folder, browse_labels = QPushButton("Browse...", self), QPushButton("Browse...", self)
        browse_folder.clicked.connect(self._pick_folder)
        browse_labels.clicked.connect(self._pick_labels)
        form = QFormLayout()
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        row1.addWidget(self.folder, 1)
        row1.addWidget(browse_folder)
        row2.addWidget(self.labels, 1)
        row2.addWidget(browse_labels)
        form.addRow("Labelled films:", row1)
        form.addRow("Labels CSV:", row2)
        self.from_verdicts = QCheckBox(
            "Labels from the readers' verdicts (films marked unsure are left out)", self
        )
        self.from_verdicts.toggled.connect(lambda on: self.labels.setEnabled(not on))
        form.addRow("", self.from_verdicts)
        form.addRow("Target sensitivity:", self.target)

        self.run_button = QPushButton("Run validation", self)
        self.cancel_button = QPushButton("Cancel", self)
        self.save_button = QPushButton("Save report...", self)
        self.adopt_button = QPushButton("Adopt as site operating point...", self)
        for b, slot in (
            (self.run_button, self.start),
            (self.cancel_button, self.cancel),
            (self.save_button, self.save_report),
            (self.adopt_button, self.adopt),
        ):
            b.clicked.connect(slot)
        self.cancel_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.adopt_button.setEnabled(False)
        #: Shown only when the report proposes a site gate (``validation.gate_proposal``).
        self.take_gate = QCheckBox("with the proposed site gate", self)
        self.take_gate.setChecked(True)
        self.take_gate.setToolTip(
            "Loosen the learned scope gates as the report proposes, so that fewer of this site's films are "
            "refused; the report says what it lets through and what it costs in adult films."
        )
        self.take_gate.hide()
        buttons = QHBoxLayout()
        for b in (self.run_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        for b in (self.save_button, self.adopt_button, self.take_gate):
            buttons.addWidget(b)

        self.progress = QProgressBar(self)
        self.progress.hide()
        self.summary = QLabel("Choose a folder of labelled films, then Run validation.", self)
        self.summary.setWordWrap(True)
        self.table = QTextBrowser(self)
        self.figures = QWidget(self)
        self.figure_row = QHBoxLayout(self.figures)
        scroll = QScrollArea(self)
        scroll.setWidget(self.figures)
        scroll.setWidgetResizable(True)
        scroll.setMinimumHeight(330)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(scroll, 1)

    # --- input -------------------------------------------------------------------------
    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of labelled films", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _pick_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labels CSV", self.folder.text(), "CSV (*.csv)")
        if path:
            self.labels.setText(path)

    # --- running -----------------------------------------------------------------------
    def start(self) -> None:
        folder = self.folder.text().strip()
        if not folder or not Path(folder).exists():
            self.summary.setText("Choose a folder that exists.")
            return
        self.job = validation_job(
            self.screener,
            folder,
            self.labels.text().strip() or None,
            self.target.value(),
            self.n_boot,
            from_verdicts=self.from_verdicts.isChecked(),
        )
        self.job.signals.progress.connect(lambda p: self._progress(*p))
        self.job.signals.done.connect(lambda _k, value: self._done(*value))
        self.job.signals.failed.connect(lambda _k, msg: self._failed(msg))
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()
        self.summary.setText("Screening and measuring...")
        self.runner.start(self.job)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _finish(self) -> None:
        self.job = None
        self.progress.hide()
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _failed(self, message: str) -> None:
        self._finish()
        self.summary.setText(f"Validation did not complete: {message}")

    def _done(self, report: ValidationReport, pngs: list[bytes]) -> None:
        from pneumoscan.validation.gate_proposal import scope_lines
        from pneumoscan.validation.html import guarantee_text, points_table

        self._finish()
        self.report = report
        self.summary.setText(report.summary)
        site = report.proposals["site_target"]
        self.table.setHtml(
            points_table(report)
            + f"<p><b>Proposed site threshold</b> {site['threshold']:.4f} (95% interval {site['ci95'][0]:.4f}-"
            f"{site['ci95'][1]:.4f}); lower 95% bound on sensitivity there {100 * site['sensitivity_lower_bound']:.1f}%."
            f"</p><p>{guarantee_text(report)}</p>"
            + "<p>How far these films are from each claim:<br>"
            + "<br>".join(report.claims)
            + "</p>"
            + "".join(f"<p>{html.escape(line)}</p>" for line in scope_lines(report.scope))
        )
        while self.figure_row.count():
            item = self.figure_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if pngs:
            for png in pngs:
                label = QLabel(self.figures)
                pm = QPixmap()
                pm.loadFromData(png, "PNG")
                label.setPixmap(pm.scaledToHeight(300))
                self.figure_row.addWidget(label)
        else:
            self.figure_row.addWidget(
                QLabel(
                    "No figures in this installation (matplotlib is left out of the installable folder); "
                    "every number is in the table.",
                    self.figures,
                )
            )
        self.save_button.setEnabled(True)
        self.adopt_button.setEnabled(True)
        self.take_gate.setVisible(bool((report.scope.get("site_gate") or {}).get("shift")))

    # --- outputs -----------------------------------------------------------------------
    def save_report(self) -> None:
        from pneumoscan.validation.html import write

        if self.report is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save validation report", "validation.html", "HTML (*.html)"
        )
        if path:
            try:
                html_path, _json = write(self.report, path)
            except OSError as exc:
                QMessageBox.warning(self, "Report not saved", str(exc))
                return
            self.summary.setText(f"{self.report.summary}\n\nReport saved: {html_path}")

    def adopt(self, name: str | None = None) -> SiteProfile | None:
        if self.report is None:
            return None
        if not name:
            name, ok = QInputDialog.getText(
                self, "Adopt site operating point", "Profile name (e.g. the clinic):"
            )
            if not ok or not name:
                return None
        try:
            profile = adopt(self.report, name.strip(), site_gate=self.take_gate.isChecked())
            save_profile(profile)
        except (ProfileError, ValueError, OSError) as exc:
            QMessageBox.warning(self, "Profile not adopted", str(exc))
            return None
        self.summary.setText(
            f"{self.report.summary}\n\nAdopted as site profile {profile.name!r} (threshold {profile.threshold:.4f}"
            + (f", site gate: shift {profile.gate_shift:.2f}" if profile.gate else "")
            + "); it is now in the operating-point selector."
        )
        self.profile_adopted.emit(profile)
        return profile
