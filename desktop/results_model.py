"""Results as a Qt table model, with a triage sort and all/flagged/errors filters.

The model holds ``ScreenResult`` objects (the same ones the CSV export
writes); thumbnails live in a bounded cache, not in the results, so memory
stays flat on folders of many thousands of images.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPixmap

from pneumoscan.results import ScreenResult, Status

COLUMNS = ("", "Result", "Probability", "Reader", "File", "Patient ID", "Study date")
COL_THUMB, COL_RESULT, COL_PROB, COL_READER, COL_FILE, COL_PATIENT, COL_DATE = range(7)
#: How the Reader column shows a recorded verdict.
READER_WORDS = {"pneumonia": "pneumonia", "normal": "no pneumonia", "unsure": "unsure"}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RESULT_ROLE = Qt.ItemDataRole.UserRole + 2
FLAG_COLOUR = QColor("#b00020")
FLAG_BACKGROUND = QColor("#fde7ea")
ERROR_COLOUR = QColor("#8a5a00")
OUT_OF_SCOPE_COLOUR = QColor("#6b6b6b")


class ThumbnailCache:
    """Least-recently-used store of small uint8 thumbnails (and their pixmaps)."""

    def __init__(self, max_items: int = 3000) -> None:
        self.max_items = max_items
        self._arrays: OrderedDict[int, np.ndarray] = OrderedDict()
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()

    def __len__(self) -> int:
        return len(self._arrays)

    def put(self, key: int, thumb: np.ndarray) -> None:
        self._arrays[key] = thumb
        self._arrays.move_to_end(key)
        while len(self._arrays) > self.max_items:
            old, _ = self._arrays.popitem(last=False)
            self._pixmaps.pop(old, None)

    def pixmap(self, key: int) -> QPixmap | None:
        if key in self._pixmaps:
            self._pixmaps.move_to_end(key)
            return self._pixmaps[key]
        arr = self._arrays.get(key)
        if arr is None:
            return None
        self._arrays.move_to_end(key)
        arr = np.ascontiguousarray(arr)
        img = QImage(
            arr.data, arr.shape[1], arr.shape[0], arr.strides[0], QImage.Format.Format_Grayscale8
        ).copy()
        pm = QPixmap.fromImage(img)
        self._pixmaps[key] = pm
        while len(self._pixmaps) > min(self.max_items, 500):
            self._pixmaps.popitem(last=False)
        return pm

    def result_changed(self, result: ScreenResult) -> None:
        """Repaint the row of ``result`` (a verdict was recorded for it)."""
        for row, r in enumerate(self.results):
            if r is result:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return

    def clear(self) -> None:
        self._arrays.clear()
        self._pixmaps.clear()


def triage_key(r: ScreenResult) -> float:
    """Flagged (by probability), then not assessed (a person must look), then normal, then unreadable."""
    if r.out_of_scope:
        return 1.5
    if not r.ok or r.probability is None:
        return -1.0 if r.status == Status.ERROR else -2.0
    return (2.0 if r.flagged else 0.0) + r.probability


class ResultsModel(QAbstractTableModel):
    thumbnail_needed = Signal(int)  # row whose thumbnail was evicted or never made

    def __init__(self, parent=None, max_thumbnails: int = 3000) -> None:
        super().__init__(parent)
        self.results: list[ScreenResult] = []
        self.thumbs = ThumbnailCache(max_thumbnails)
        self._requested: set[int] = set()

    # --- Qt model API -------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.results)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        r = self.results[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == SORT_ROLE:
            return self._sort_value(r, col)
        if role == RESULT_ROLE:
            return r
        if role == Qt.ItemDataRole.DecorationRole and col == COL_THUMB:
            pm = self.thumbs.pixmap(row)
            if pm is None and (r.ok or r.out_of_scope) and row not in self._requested:
                self._requested.add(row)
                self.thumbnail_needed.emit(row)
            return pm
        if role == Qt.ItemDataRole.ToolTipRole:
            if not r.ok:
                return f"{r.status.upper()}: {r.reason}"
            return "\n".join([str(r.path), *r.notes])
        if role == Qt.ItemDataRole.ForegroundRole:
            if r.out_of_scope:
                return QBrush(OUT_OF_SCOPE_COLOUR)
            if r.flagged and col in (COL_PROB, COL_RESULT, COL_FILE):
                return QBrush(FLAG_COLOUR)
            if not r.ok and col == COL_RESULT:
                return QBrush(ERROR_COLOUR)
        if role == Qt.ItemDataRole.BackgroundRole and r.flagged:
            return QBrush(FLAG_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole and r.flagged and col == COL_RESULT:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_PROB:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(r: ScreenResult, col: int) -> str | None:
        if col == COL_FILE:
            return r.path.name
        if col == COL_READER:
            return READER_WORDS.get(r.reader_verdict, "")
        if col == COL_PATIENT:
            return str(r.meta.get("PatientID", ""))
        if col == COL_DATE:
            d = str(r.meta.get("StudyDate", ""))
            return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else d
        if col == COL_PROB:
            return "" if r.probability is None else f"{r.probability:.3f}"
        if col == COL_RESULT:
            if r.ok:
                return f"{r.result}\n{r.subtype_words}" if r.subtype else r.result
            if r.out_of_scope:
                return r.reason  # "Not assessed: ..."
            return ("ERROR: " if r.status == Status.ERROR else "SKIPPED: ") + r.reason
        return None

    @staticmethod
    def _sort_value(r: ScreenResult, col: int):
        if col == COL_PROB:
            return -1.0 if r.probability is None else r.probability
        if col in (COL_RESULT, COL_THUMB):
            return triage_key(r)
        return (ResultsModel._display(r, col) or "").lower()

    # --- changes --------------------------------------------------------------------
    def add_results(self, results: list[ScreenResult]) -> None:
        if not results:
            return
        first = len(self.results)
        self.beginInsertRows(QModelIndex(), first, first + len(results) - 1)
        for i, r in enumerate(results):
            if r.thumbnail is not None:
                self.thumbs.put(first + i, r.thumbnail)
                r.thumbnail = None  # the cache owns it from here (bounded)
            self.results.append(r)
        self.endInsertRows()

    def set_thumbnail(self, row: int, thumb: np.ndarray) -> None:
        if 0 <= row < len(self.results):
            self.thumbs.put(row, thumb)
            self._requested.discard(row)
            idx = self.index(row, COL_THUMB)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def result_changed(self, result: ScreenResult) -> None:
        """Repaint the row of ``result`` (a verdict was recorded for it)."""
        for row, r in enumerate(self.results):
            if r is result:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return

    def clear(self) -> None:
        self.beginResetModel()
        self.results = []
        self.thumbs.clear()
        self._requested.clear()
        self.endResetModel()

    def set_operating_point(self, name: str, threshold: float, gate: dict[str, float] | None = None) -> None:
        """Relabel every result; probabilities and the learned gates' scores are kept, nothing is
        re-run (``gate``: a site profile's own learned-gate thresholds)."""
        for r in self.results:
            r.with_threshold(name, threshold, gate)
        if self.results:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.results) - 1, len(COLUMNS) - 1))

    def summary(self) -> dict[str, int]:
        ok = [r for r in self.results if r.ok]
        return {
            "screened": len(ok),
            "flagged": sum(r.flagged for r in ok),
            "errors": sum(r.status == Status.ERROR for r in self.results),
            "skipped": sum(r.status == Status.SKIPPED for r in self.results),
            "out_of_scope": sum(r.out_of_scope for r in self.results),
        }


class ResultsProxy(QSortFilterProxyModel):
    """Filter: ``all``, ``flagged``, ``out_of_scope`` (not assessed) or ``errors`` (with skipped files).

    Sorting compares the plain numbers/strings of ``SORT_ROLE`` in C++ (no Python
    ``lessThan``), so inserting thousands of rows keeps the GUI thread free.
    """

    MODES = ("all", "flagged", "out_of_scope", "errors")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.mode = "all"
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(mode)
        self.beginFilterChange()
        self.mode = mode
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self.mode == "all":
            return True
        r = self.sourceModel().results[source_row]
        if self.mode == "flagged":
            return r.flagged
        if self.mode == "out_of_scope":
            return r.out_of_scope
        return r.status in ("error", "skipped")
