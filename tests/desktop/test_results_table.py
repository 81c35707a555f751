"""desktop.results_table: the worklist's view sorts flagged films first and moves row by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from pneumoscan.results import ScreenResult


def _result(name: str, p: float | None, status: str = "ok") -> ScreenResult:
    r = ScreenResult(path=Path(f"/films/{name}.dcm"), status=status, probability=p)
    if p is not None:
        r.with_threshold("screening", 0.5)
    return r


@pytest.fixture
def table(qtbot):
    from PySide6.QtWidgets import QWidget

    from desktop.results_model import ResultsModel, ResultsProxy
    from desktop.results_table import ResultsTable

    parent = QWidget()
    qtbot.addWidget(parent)
    model = ResultsModel(parent)
    proxy = ResultsProxy(parent)
    proxy.setSourceModel(model)
    view = ResultsTable(parent, proxy)
    model.add_results([_result("low", 0.1), _result("high", 0.9), _result("mid", 0.6)])
    yield view  # the parent (and its model) live as long as the test


@pytest.mark.parametrize(("row", "moved"), [(0, True), (2, True), (3, False), (-1, False)])
def test_select_row_only_moves_to_rows_that_exist(table, row, moved):
    assert table.current_result() is None and table.current_row() == -1
    assert table.select_row(row) is moved
    assert table.current_row() == (row if moved else -1)


def test_the_first_row_is_the_film_to_read_first(table):
    table.select_row(0)
    assert table.current_result().path.name == "high.dcm"
