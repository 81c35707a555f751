"""GUI fixtures: an isolated QSettings file and a window in synchronous mode."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tiny_manifest, settings):
    from desktop.main_window import MainWindow

    w = MainWindow(tiny_manifest, sync=True, settings=settings)
    qtbot.addWidget(w)
    w.show()
    return w
