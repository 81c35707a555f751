"""The window's actions, menus and toolbar (built once; the window keeps the handles)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from desktop.dialogs import show_about


def build_menus_and_toolbar(w) -> None:
    """Create ``w.act_*``, the File/Screening/Help menus, the toolbar, filter and operating-point boxes."""
    w.act_open_folder = QAction("Open &Folder...", w, shortcut=QKeySequence("Ctrl+O"))
    w.act_open_files = QAction("Open F&iles...", w, shortcut=QKeySequence("Ctrl+Shift+O"))
    w.act_export = QAction("&Export CSV...", w, shortcut=QKeySequence("Ctrl+E"))
    w.act_cancel = QAction("&Cancel", w, shortcut=QKeySequence(Qt.Key.Key_Escape))
    w.act_heat = QAction("Toggle &Heatmap", w, shortcut=QKeySequence(Qt.Key.Key_Space))
    w.act_about = QAction("&About PneumoScan", w)
    w.act_quit = QAction("&Quit", w, shortcut=QKeySequence.StandardKey.Quit)
    w.act_open_folder.triggered.connect(w.choose_folder)
    w.act_open_files.triggered.connect(w.choose_files)
    w.act_export.triggered.connect(w.choose_export)
    w.act_cancel.triggered.connect(w.cancel)
    w.act_heat.triggered.connect(w.viewer_panel.toggle_heatmap)
    w.act_about.triggered.connect(
        lambda: show_about(
            w,
            w.screener.manifest if w.screener else None,
            w.site_profiles,
            w.screener.operating_point if w.screener else "",
            w.profiles_left_out,
        )
    )
    w.act_quit.triggered.connect(w.close)
    w.act_cancel.setEnabled(False)
    w.act_export.setEnabled(False)
    for act in (w.act_open_folder, w.act_open_files, w.act_cancel, w.act_heat):
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    w.addAction(w.act_heat)

    from desktop.clinic import ClinicActions

    w.clinic = ClinicActions(w)
    w.clinic.arrived.connect(w.add_results)
    from desktop.dicom_node import NodeActions

    w.node = NodeActions(w)
    w.node.arrived.connect(w.add_results)
    menu = w.menuBar()
    file_menu = menu.addMenu("&File")
    for act in (w.act_open_folder, w.act_open_files, w.act_export):
        file_menu.addAction(act)
    file_menu.addSeparator()
    for act in (*w.clinic.actions, *w.node.actions):
        file_menu.addAction(act)
    file_menu.addSeparator()
    file_menu.addAction(w.act_quit)
    screen_menu = menu.addMenu("&Screening")
    screen_menu.addAction(w.act_cancel)
    screen_menu.addAction(w.act_heat)
    screen_menu.addSeparator()
    w.act_validate = QAction("&Validate on local cases...", w)
    w.act_validate.triggered.connect(w.open_validation)
    screen_menu.addAction(w.act_validate)
    screen_menu.addSeparator()
    from desktop.reader_verdicts import ReaderVerdicts

    w.verdicts = ReaderVerdicts(w)
    w.verdicts.recorded.connect(w.model.result_changed)
    for act in (*w.verdicts.actions, w.verdicts.act_note):
        screen_menu.addAction(act)
        w.addAction(act)
    screen_menu.addSeparator()
    w.act_gate = QAction("Scope &gate (refuse images the model cannot judge)", w, checkable=True)
    w.act_gate.setChecked(True)
    w.act_gate.toggled.connect(w.set_scope_gate)
    screen_menu.addAction(w.act_gate)
    menu.addMenu("&Help").addAction(w.act_about)

    tools = QToolBar("Main", w)
    tools.setObjectName("main_toolbar")
    tools.setMovable(False)
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for act in (w.act_open_folder, w.act_open_files, w.act_export, w.act_cancel):
        tools.addAction(act)
    tools.addAction(w.clinic.act_watch)
    tools.addSeparator()
    tools.addWidget(QLabel(" Show: "))
    w.filter_box = QComboBox(w)
    for label, mode in (
        ("All", "all"),
        ("Flagged", "flagged"),
        ("Not assessed", "out_of_scope"),
        ("Errors", "errors"),
    ):
        w.filter_box.addItem(label, mode)
    w.filter_box.currentIndexChanged.connect(lambda _i: w.set_filter(w.filter_box.currentData()))
    tools.addWidget(w.filter_box)
    tools.addWidget(QLabel("  Operating point: "))
    w.op_box = QComboBox(w)
    w.op_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # profiles join later
    if w.screener:
        for name, t in w.screener.thresholds.items():
            gate = ", site gate" if name in w.screener.site_gates else ""
            w.op_box.addItem(f"{name.replace('_', ' ')} ({t:.3f}{gate})", name)
    w.op_box.currentIndexChanged.connect(lambda _i: w.set_operating_point(w.op_box.currentData()))
    tools.addWidget(w.op_box)
    w.addToolBar(tools)
