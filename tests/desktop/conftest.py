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


@pytest.fixture
def live_window(qtbot, tiny_manifest, settings):
    """A window with real worker threads (watch mode, the DICOM node); both stopped at the end."""
    from desktop.main_window import MainWindow

    w = MainWindow(tiny_manifest, sync=False, settings=settings)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.clinic.stop_watch()
    w.node.stop()
    qtbot.waitUntil(lambda: w.clinic.watcher is None and w.node.job is None, timeout=20000)
