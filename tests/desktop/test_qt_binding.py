"""Guards against a Qt-binding defect that once shipped: PySide6 6.12.0's ``Signal.emit()`` dropped one
reference to ``True`` per call, so a long session (thousands of thumbnail and progress signals)
ended in "Fatal Python error: bool_dealloc"."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    progress = Signal(int, int)


def test_signal_emit_keeps_reference_counts():
    emitter = _Emitter()
    seen = []
    emitter.progress.connect(lambda a, b: seen.append(a))
    before = sys.getrefcount(True)
    for i in range(50):
        emitter.progress.emit(i, 50)
    assert len(seen) == 50
    assert sys.getrefcount(True) - before > -5  # the defect lost one per emit (-50 here)
