"""Export dialog (with the no-PHI option) and the About box."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QFileDialog, QMessageBox, QWidget

from pneumoscan.model.manifest import Manifest


def ask_export_path(parent: QWidget, start_dir: str) -> tuple[Path, bool] | None:
    """Save dialog with a 'Leave out patient data' box; None when cancelled."""
    dialog = QFileDialog(parent, "Export CSV report", str(Path(start_dir) / "pneumoscan_report.csv"))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter("CSV report (*.csv)")
    dialog.setDefaultSuffix("csv")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    no_phi = QCheckBox("Leave out patient name, ID, age, sex and accession number", dialog)
    layout = dialog.layout()
    if layout is not None:
        layout.addWidget(no_phi)
    if not dialog.exec():
        return None
    files = dialog.selectedFiles()
    return (Path(files[0]), no_phi.isChecked()) if files else None


def about_html(
    manifest: Manifest | None,
    profiles: list | None = None,
    operating_point: str = "",
    left_out: list | None = None,
) -> str:
    if manifest is None:
        return "<p>PneumoScan: no model is loaded.</p>"
    from pneumoscan.outputs.dicom.wording import site_words

    in_use = (
        f"<p><b>In use:</b> {html.escape(operating_point.replace('_', ' '))}, {html.escape(site_words(operating_point))}."
        + ("" if operating_point.startswith("site:") else " The figures above are the training hospital's.")
        + "</p>"
        if operating_point
        else ""
    )
    m = manifest.data
    val = m.get("metrics", {}).get("shipped", {}).get("validation", {})
    rows = []
    for name, op in val.get("operating_points", {}).items():
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{op['threshold']:.3f}</td>"
            f"<td>{100 * op['sensitivity']:.1f}%</td><td>{100 * op['specificity']:.1f}%</td></tr>"
        )
    table = (
        "<table border='0' cellpadding='3'><tr><th>operating point</th><th>threshold</th>"
        f"<th>sensitivity</th><th>specificity</th></tr>{''.join(rows)}</table>"
        if rows
        else ""
    )
    auc = (
        f"<p>Validation AUC {val['auc']:.4f} on {val['n']} images (patient-wise split).</p>"
        if "auc" in val
        else ""
    )
    gate = m.get("screening_gate")
    if gate:  # what the default keeps as PneumoScan runs, the films the scope gate refuses counted as missed
        k, n = gate["flagged_with_gate"], gate["films"]["pneumonia"]
        table += (
            f"<p>With the scope gate, as PneumoScan runs: {k} of {n} validation pneumonia films flagged at "
            f"screening ({100 * k / n:.1f}%); the {gate['refused']['pneumonia']} it refuses count as missed.</p>"
        )
    return (
        f"<h3>PneumoScan</h3><p>Model {html.escape(manifest.version)} ({html.escape(str(m.get('precision', '')))})</p>"
        f"{auc}{table}{in_use}<p><b>Intended use.</b> {html.escape(str(m.get('intended_use', '')))}</p>"
        "<p><b>The output is not a diagnosis.</b> Every image must be read by a qualified clinician.</p>"
        f"{profiles_html(profiles or [])}{left_out_html(left_out or [])}"
        "<p>PneumoScan runs entirely on this computer and sends nothing over the network.</p>"
    )


def profiles_html(profiles: list) -> str:
    if not profiles:
        return ""
    items = "".join(
        f"<li>{html.escape(p.name)}: threshold {p.threshold:.3f}, measured on {p.counts.get('films', '?')} local films "
        f"({html.escape(p.created)})"
        + (f"; its own scope gate (learned gates loosened by {p.gate_shift:.2f})" if p.gate else "")
        + "</li>"
        for p in profiles
    )
    return f"<p><b>Site operating points</b> (adopted from local validation):</p><ul>{items}</ul>"


def left_out_html(left_out: list[str]) -> str:
    if not left_out:
        return ""
    items = "".join(f"<li>{html.escape(why)}</li>" for why in left_out)
    return (
        f"<p><b>Site profiles not used</b> (validate again to adopt one for this model):</p><ul>{items}</ul>"
    )


def show_about(
    parent: QWidget,
    manifest: Manifest | None,
    profiles: list | None = None,
    operating_point: str = "",
    left_out: list | None = None,
) -> None:
    QMessageBox.about(parent, "About PneumoScan", about_html(manifest, profiles, operating_point, left_out))
