"""A small list of records held in memory, sorted and filtered in Python.

Products View and the lists inside the Properties and License Groups dialogs use it.
"""

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt

from applet.ui.manager.models.columns import Column, ColumnsMixin, Index, sortable


class RecordTableModel(ColumnsMixin, QAbstractTableModel):
    """Records held in memory; :meth:`sort` and :meth:`set_filter` work in Python."""

    def __init__(
        self,
        columns: Sequence[Column],
        decoration: Callable[[Any, int], object] | None = None,
        parent: QObject | None = None,
        key: Callable[[Any], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._decoration = decoration
        self._key = key
        self._all: list[Any] = []
        self._rows: list[Any] = []
        self._filter: Callable[[Any], bool] | None = None
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(record, index.column()) if self._decoration else None
        return self._cell(record, index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        return self._header(section, orientation, role)

    def records(self) -> list[Any]:
        """The rows shown, in order."""
        return list(self._rows)

    def all_records(self) -> list[Any]:
        """Every record, whatever the filter."""
        return list(self._all)

    def record(self, row: int) -> Any:
        """The record of a row."""
        return self._rows[row]

    def set_records(self, records: Sequence[Any]) -> None:
        """Replace the records (keeps the sort and the filter).

        With a ``key``, when the same records come back in the same places (a live refresh of new
        counts), only the changed cells are announced: the view keeps its selection and scroll.
        """
        self._all = list(records)
        arranged = self._arranged()
        key = self._key
        if key is not None and [key(r) for r in arranged] == [key(r) for r in self._rows]:
            changed = [i for i, record in enumerate(arranged) if record != self._rows[i]]
            self._rows = arranged
            if changed:
                last = len(self.columns) - 1
                self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))
            return
        self.beginResetModel()
        self._rows = arranged
        self.endResetModel()

    def set_filter(self, keep: Callable[[Any], bool] | None) -> None:
        """Show only the records ``keep`` accepts (``None``: all)."""
        self.beginResetModel()
        self._filter = keep
        self._rows = self._arranged()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.beginResetModel()
        self._sort = (column, order)
        self._rows = self._arranged()
        self.endResetModel()

    def _arranged(self) -> list[Any]:
        rows = [r for r in self._all if self._filter(r)] if self._filter else list(self._all)
        if self._sort is not None:
            column, order = self._sort
            spec = self.columns[column]
            rows.sort(key=lambda r: sortable(spec.value(r)), reverse=order == Qt.SortOrder.DescendingOrder)
        return rows
