"""Guards against a Qt-binding defect that once shipped: PySide6 6.12.0's ``Signal.emit()`` dropped one
reference to ``True`` per call, so a long session (thousands of thumbnail and progress signals)
ended in "Fatal Python error: bool_dealloc"."""

from __future__ import annotations

import sys

import PySide6
import pytest
from PySide6.QtCore import QObject, Signal

#: Releases with the defect (pyproject pins PySide6 below 6.12 for it).
DEFECTIVE = {(6, 12, 0)}


class _Emitter(QObject):
    progress = Signal(int, int)


def test_the_installed_binding_is_not_a_defective_release():
    """Fails on an affected release whatever the Python: from 3.12 on ``True`` is immortal, so the
    reference count below cannot show the defect there (and it no longer crashes there either)."""
    version = tuple(int(p) for p in PySide6.__version__.split(".")[:3] if p.isdigit())
    assert version not in DEFECTIVE, f"PySide6 {PySide6.__version__} drops a reference per Signal.emit()"


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="True is immortal from Python 3.12: its count never moves"
)
def test_signal_emit_keeps_reference_counts():
    emitter = _Emitter()
    seen = []
    emitter.progress.connect(lambda a, b: seen.append(a))
    before = sys.getrefcount(True)
    for i in range(50):
        emitter.progress.emit(i, 50)
    assert len(seen) == 50
    assert sys.getrefcount(True) - before > -5  # the defect lost one per emit (-50 here)
