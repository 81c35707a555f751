"""GUI responsiveness while a batch runs: a timing measurement, so not in the default run.

``make test-timing`` runs it (``-m timing``). A busy machine can stall any process, so it is
retried: it fails only when three runs in a row block the event loop for 100 ms or more.
"""

from __future__ import annotations

import gc
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer

pytestmark = pytest.mark.timing


def _worst_gap(qtbot, tiny_manifest, settings, tmp_path) -> tuple[float, float]:
    """(worst event-loop gap, seconds to the first result) with a 10 ms QTimer during a real async batch."""
    from desktop.main_window import MainWindow

    rng = np.random.default_rng(0)
    folder = tmp_path / "many"
    folder.mkdir(exist_ok=True)
    for i in range(200):
        Image.fromarray(rng.integers(0, 255, (600, 500), dtype=np.uint8)).save(folder / f"{i:03d}.png")
    w = MainWindow(tiny_manifest, sync=False, settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(200)  # let the first paint finish: we measure the batch, not start-up
    # Objects left by earlier tests in this process would make a full garbage collection (which
    # holds the GIL for every thread) stall the loop for 200+ ms in a whole-suite run; an app
    # process does not carry them. Collect them now and keep them out of later collections.
    gc.collect()
    gc.freeze()
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    started = time.perf_counter()
    w.open_paths([folder])
    first_result = []
    w.model.rowsInserted.connect(
        lambda *_: first_result or first_result.append(time.perf_counter() - started)
    )
    try:
        qtbot.waitUntil(lambda: w.current is None, timeout=120_000)
    finally:
        timer.stop()
        gc.unfreeze()
    assert len(w.model.results) == 200
    w.close()
    return max(gaps[1:]), (first_result or [float("inf")])[0]  # the first tick times the timer's start


def test_gui_thread_never_blocked_during_200_images(qtbot, tiny_manifest, settings, tmp_path):
    runs = []
    for _ in range(3):
        worst, first = _worst_gap(qtbot, tiny_manifest, settings, tmp_path)
        runs.append((worst, first))
        print(f"worst event-loop gap {worst * 1000:.0f} ms, first result after {first:.2f} s")
        if worst < 0.100 and first < 1.0:
            return
    pytest.fail(
        f"GUI thread blocked in three runs in a row: {[(round(w * 1000), round(f, 2)) for w, f in runs]}"
    )
