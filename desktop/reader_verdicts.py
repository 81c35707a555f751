"""The reader's verdict on the selected film, with one key: P pneumonia, N no pneumonia, U unsure.

Each verdict goes to the local verdict database (``pneumoscan.verdicts``, appended, never
overwritten) with the reader's name, the time, the model and the AI result shown; the
worklist's Reader column shows it, and the selection moves on to the next film. The
database write (and the file hash a non-DICOM film needs as its key) runs in a job, off the
GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog

from desktop import worker
from pneumoscan.results import ScreenResult

#: (verdict, menu text, key)
CHOICES = (
    ("pneumonia", "Reader: &pneumonia", "P"),
    ("normal", "Reader: &no pneumonia", "N"),
    ("unsure", "Reader: &unsure", "U"),
)


def record_verdict(result: ScreenResult, verdict: str, reader: str, note: str, model) -> str:
    """Append one verdict for the film of ``result`` (runs in a job); returns the verdict."""
    from pneumoscan.verdicts import Verdict, VerdictStore, key_of

    key = key_of(result.path, str(result.meta.get("SOPInstanceUID", "") or ""))
    VerdictStore().record(
        [
            Verdict(
                key,
                verdict,
                path=str(result.path),
                note=note,
                reader=reader,
                model_version=model.version,
                model_sha256=model.sha256,
                ai_result=result.result or str(result.status),
                ai_probability=result.probability,
            )
        ]
    )
    return verdict


class ReaderVerdicts(QObject):
    """The verdict actions of a window; ``recorded`` tells the window which result changed."""

    recorded = Signal(object)  # the ScreenResult whose verdict was recorded

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.actions: list[QAction] = []
        for verdict, text, key in CHOICES:
            act = QAction(text, window, shortcut=QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(lambda _c=False, v=verdict: self.record(v))
            self.actions.append(act)
        self.act_note = QAction(
            "Reader: verdict with a &note...", window, shortcut=QKeySequence("Ctrl+Shift+V")
        )
        self.act_note.triggered.connect(self.record_with_note)

    def reader_name(self) -> str | None:
        """The reader's name, asked once and remembered (None when the reader cancels)."""
        name = str(self.window.settings.value("reader_name", "") or "")
        if name:
            return name
        name, ok = QInputDialog.getText(self.window, "Reader", "Your name (recorded with each verdict):")
        if not ok or not name.strip():
            return None
        self.window.settings.setValue("reader_name", name.strip())
        return name.strip()

    def record_with_note(self) -> None:
        labels = [text.split(": ", 1)[1].replace("&", "") for _v, text, _k in CHOICES]
        choice, ok = QInputDialog.getItem(self.window, "Reader verdict", "Verdict:", labels, 0, False)
        if not ok:
            return
        note, ok = QInputDialog.getText(self.window, "Reader verdict", "Note:")
        if ok:
            self.record(CHOICES[labels.index(choice)][0], note)

    def record(self, verdict: str, note: str = "") -> None:
        w = self.window
        result = w.selected_result()
        if result is None or w.screener is None:
            return
        reader = self.reader_name()
        if reader is None:
            return
        from pneumoscan.outputs.publish import ModelInfo

        model = ModelInfo.of(w.screener)
        job = worker.call(result, lambda: record_verdict(result, verdict, reader, note, model))
        job.signals.done.connect(self._recorded)
        job.signals.failed.connect(
            lambda _r, msg: w.statusBar().showMessage(f"Verdict not recorded: {msg}", 10000)
        )
        w.runner.start(job)
        w.select_next()

    def _recorded(self, result: ScreenResult, verdict: str) -> None:
        result.reader_verdict = verdict
        self.recorded.emit(result)
        self.window.statusBar().showMessage(f"Verdict recorded: {verdict} for {result.path.name}", 5000)
