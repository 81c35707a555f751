"""The right-hand side: viewer with its controls, and the metadata panel."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.viewer import ImageViewer
from pneumoscan.reading.loader import LoadedImage
from pneumoscan.results import ScreenResult


class ViewerPanel(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.viewer = ImageViewer(self)
        self.heat_box = QCheckBox("Heatmap (Space)")
        self.heat_box.setChecked(False)
        self.heat_box.toggled.connect(self.viewer.set_heatmap_visible)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setMaximumWidth(140)
        self.opacity.setToolTip("Heatmap opacity")
        self.opacity.valueChanged.connect(lambda v: self.viewer.set_heat_opacity(v / 100.0))
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(self.viewer.fit)
        self.reset_wl = QPushButton("Reset W/L")
        self.reset_wl.setToolTip(
            "Right-drag on a DICOM image changes window (left/right) and level (up/down)"
        )
        self.reset_wl.clicked.connect(self.viewer.reset_window)
        self.wl_label = QLabel("")
        self.viewer.window_changed.connect(lambda c, w: self.wl_label.setText(f"W {w:.0f}  L {c:.0f}"))
        self.placeholder = QLabel("Open a folder (Ctrl+O) or drop files here, then select a row to view it.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)

        controls = QHBoxLayout()
        controls.addWidget(self.heat_box)
        controls.addWidget(QLabel("Opacity"))
        controls.addWidget(self.opacity)
        controls.addStretch(1)
        controls.addWidget(self.wl_label)
        controls.addWidget(self.reset_wl)
        controls.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.viewer, 1)
        layout.addLayout(controls)
        self.viewer.hide()
        self.reset_wl.setEnabled(False)

    def show_image(self, img: LoadedImage, result: ScreenResult) -> None:
        self.placeholder.hide()
        self.viewer.show()
        self.viewer.show_image(img, result.cam)
        self.reset_wl.setEnabled(img.modality is not None)
        w = self.viewer.wl
        self.wl_label.setText(f"W {w[1]:.0f}  L {w[0]:.0f}" if w else "")

    def show_message(self, text: str) -> None:
        self.wl_label.setText("")
        self.reset_wl.setEnabled(False)
        self.viewer.clear()
        self.viewer.hide()
        self.placeholder.setText(text)
        self.placeholder.show()

    def toggle_heatmap(self) -> None:
        self.heat_box.setChecked(not self.heat_box.isChecked())


def metadata_html(result: ScreenResult, img: LoadedImage | None = None) -> str:
    """Everything a reader may want to check, as a small HTML table."""
    rows: list[tuple[str, str]] = [("File", str(result.path)), ("Status", result.status)]
    if result.reason:
        rows.append(("Reason", result.reason))
    if result.probability is not None:
        rows += [
            ("Probability", f"{result.probability:.4f}"),
            ("Result", result.result),
            ("Threshold", f"{result.threshold:.4f} ({result.operating_point})"),
        ]
        if result.subtype:
            rows.append(
                (
                    "Subtype (research aid)",
                    f"{result.subtype_words} (viral at {result.subtype_threshold:.2f} or above)",
                )
            )
    rows.append(("Model version", result.model_version))
    rows.append(("Scope gate", "on" if result.scope_gate else "OFF (research use: every image is scored)"))
    for check in result.checks:
        verdict = check.verdict.replace("_", " ")
        score = "" if check.score is None else f" (score {check.score:.3g})"
        rows.append(
            (f"Check {check.check}", f"{verdict}{score}{': ' + check.reason if check.reason else ''}")
        )
    meta = dict(result.meta)
    if img is not None:
        meta.update(img.meta)
    for key, value in meta.items():
        if value not in ("", None, {}):
            rows.append((key, str(value)))
    notes = list(result.notes) + ([n for n in img.notes if n not in result.notes] if img else [])
    for note in notes:
        rows.append(("Note", note))
    cells = "".join(
        f"<tr><td style='padding-right:10px;color:#555'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


class MetadataPanel(QTextBrowser):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setPlaceholderText("Image details appear here.")

    def show_result(self, result: ScreenResult, img: LoadedImage | None = None) -> None:
        self.setHtml(metadata_html(result, img))
