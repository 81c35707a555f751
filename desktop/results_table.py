"""The worklist's view: one row a film, sorted so that the films to read first are on top.

Kept apart from the window so that how the worklist looks and moves (columns, row height,
selecting the next film after a verdict) is read in one place; the rows themselves live in
``ResultsModel``.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop.results_model import COL_RESULT, RESULT_ROLE, ResultsProxy
from pneumoscan.results import ScreenResult

#: starting widths of the columns (thumbnail, file, result, probability, reason, ...); the user's own are restored
COLUMN_WIDTHS = (56, 180, 80, 95, 165, 85, 80)


class ResultsTable(QTableView):
    """Read-only, one selected row at a time, rows tall enough for a thumbnail."""

    def __init__(self, parent: QWidget, proxy: ResultsProxy) -> None:
        super().__init__(parent)
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setDefaultSectionSize(52)
        self.verticalHeader().hide()
        self.setWordWrap(False)  # one line per cell; the full reason is in the tooltip and details
        self.setIconSize(QSize(48, 48))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate(COLUMN_WIDTHS):
            self.setColumnWidth(col, width)
        self.sortByColumn(COL_RESULT, Qt.SortOrder.DescendingOrder)

    def select_row(self, row: int) -> bool:
        """Make ``row`` (of the sorted, filtered view) the current one; False when there is no such row."""
        if not 0 <= row < self.model().rowCount():
            return False
        self.selectionModel().setCurrentIndex(
            self.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def current_row(self) -> int:
        idx = self.selectionModel().currentIndex()
        return idx.row() if idx.isValid() else -1

    def current_result(self) -> ScreenResult | None:
        idx = self.selectionModel().currentIndex()
        return idx.data(RESULT_ROLE) if idx.isValid() else None
