"""A big table read page by page off the UI thread, sorted and filtered in SQL.

Purchase History, Clients (Per Seat) and Events page through the store: ``canFetchMore``/``fetchMore``
ask for the next page as the view scrolls, on the gateway's heavy lane; nothing waits on the UI thread.
"""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal

from applet.ui.gateway import StoreGateway
from applet.ui.manager.models.columns import ColumnsMixin, Index

# Jobs of the gateway: they get a Store, or the master's client for the enterprise models (which
# override :meth:`PagedTableModel.run_job`).
PageQuery = Callable[[Any, int, int], list[Any]]
CountQuery = Callable[[Any], int]


class PagedTableModel(ColumnsMixin, QAbstractTableModel):
    """A big table read page by page off the UI thread, sorted and filtered in SQL.

    Subclasses set :attr:`columns` and implement :meth:`page_query` (and :meth:`count_query`). The view
    calls ``fetchMore`` as it scrolls; :meth:`reload` re-reads what is shown (live refresh) without
    losing the scroll position; a new sort or filter starts again from the first page.

    Signals:
        loaded(): a page arrived (the first one after a reload, or one more as the view scrolls).
        total_changed(int): how many rows the current filter matches (counted after the first page).
        failed(str): a page could not be read; the rows already shown stay.
    """

    loaded = Signal()
    total_changed = Signal(int)
    failed = Signal(str)

    PAGE_SIZE = 200
    # A live refresh re-reads at most this many rows; scrolling further fetches again.
    REFRESH_LIMIT = 2000

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self._rows: list[Any] = []
        self._exhausted = False
        self._fetching = False
        self._generation = 0
        self._query_generation = 0
        self._sort_column = self.default_sort()[0]
        self._descending = self.default_sort()[1]
        self.total: int | None = None
        self._started = False
        self._reload_pending = False
        self._reload_keep: int | None = None

    # -- for subclasses -------------------------------------------------------------------------
    def default_sort(self) -> tuple[int, bool]:
        """(column, descending) before the administrator clicks a header."""
        return (0, False)

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        """A job reading ``limit`` rows from ``offset`` with the current sort and filter.

        Every concrete model defines it (abc.abstractmethod cannot be used: Qt models have
        Shiboken's metaclass, which does not combine with ABCMeta).
        """
        raise NotImplementedError(f"{type(self).__name__} must define page_query()")

    def count_query(self) -> CountQuery | None:
        """A job counting the rows of the current filter (``None``: do not count)."""
        return None

    def page_size(self) -> int:
        """Rows per page with the current sort."""
        return self.PAGE_SIZE

    def run_job(
        self, job: Callable[[Any], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]
    ) -> None:
        """Run a page or count job off the UI thread (the store's heavy lane; a master's lane for the
        enterprise models)."""
        self.gateway.submit(job, done, failed, lane="heavy")

    # -- Qt model -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._cell(self._rows[index.row()], index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        return self._header(section, orientation, role)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._started and not self._exhausted and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self.canFetchMore(parent):
            return
        self._fetch(len(self._rows), self.page_size(), replace=False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort_key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (column, descending) == (self._sort_column, self._descending):
            return
        self._sort_column, self._descending = column, descending
        if self._started:
            # The same rows in another order: the count stands.
            self.restart(recount=False)

    # -- loading --------------------------------------------------------------------------------
    @property
    def sort_state(self) -> tuple[int, bool]:
        """(column, descending) in effect."""
        return (self._sort_column, self._descending)

    @property
    def loading(self) -> bool:
        """True while a page is on its way."""
        return self._fetching

    def records(self) -> list[Any]:
        """The rows loaded so far, in order."""
        return list(self._rows)

    def record(self, row: int) -> Any:
        """The record of a row."""
        return self._rows[row]

    def restart(self, recount: bool = True) -> None:
        """Forget the rows and read the first page with the current sort and filter."""
        self._started = True
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self.endResetModel()
        if recount:
            self.total = None
            self._query_generation += 1
        self._fetch(0, self.page_size(), replace=True, count=recount)

    def reload(self, keep: int | None = None) -> None:
        """Re-read the rows shown (the store changed); the view keeps its place.

        ``keep``: how many rows from the top matter now (the view's last visible row and a page
        more). Rows below are dropped and fetched again when scrolled to, so a live refresh reads a
        page or two, not everything scrolled through.
        """
        if not self._started:
            self.restart()
            return
        if self._fetching:
            # A page is on its way with the old data; read again when it lands.
            self._reload_pending = True
            self._reload_keep = keep
            return
        loaded = len(self._rows) if keep is None else min(len(self._rows), keep)
        wanted = min(max(loaded, self.page_size()), self.REFRESH_LIMIT)
        self._fetch(0, wanted, replace=True, count=True)

    def _fetch(self, offset: int, limit: int, replace: bool, count: bool = False) -> None:
        self._generation += 1
        generation = self._generation
        self._fetching = True
        sort_key = self.columns[self._sort_column].sort_key or ""
        page = self.page_query(sort_key, self._descending)
        counter = self.count_query() if count else None

        def job(source: Any) -> tuple[list[Any], int | None]:
            rows = page(source, offset, limit)
            return rows, None

        def done(result: tuple[list[Any], int | None]) -> None:
            if generation != self._generation:
                return
            rows, _ = result
            # Still "fetching" while the rows go in: a view or tester reacting to rowsInserted must
            # not ask for the next page from an offset that is about to change.
            self._exhausted = len(rows) < limit
            if replace:
                self._replace(rows)
            else:
                self._append(rows)
            self._fetching = False
            self.loaded.emit()
            if counter is not None:
                self._count(counter)
            if self._reload_pending:
                self._reload_pending = False
                self.reload(self._reload_keep)

        def failed(error: Exception) -> None:
            if generation != self._generation:
                return
            self._fetching = False
            self._reload_pending = False
            self.failed.emit(" ".join(str(error).split()))

        self.run_job(job, done, failed)

    def run_count(self, job: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        """Run a count job off the UI thread (a failed count leaves the total unknown)."""
        self.run_job(job, done, lambda error: None)

    def _count(self, counter: CountQuery) -> None:
        query = self._query_generation

        def done(total: int) -> None:
            if query == self._query_generation:
                self.total = total
                self.total_changed.emit(total)

        self.run_count(counter, done)

    def _append(self, rows: list[Any]) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def _replace(self, rows: list[Any]) -> None:
        # Row by row rather than a reset: the view keeps its scroll position and selection.
        old, new = len(self._rows), len(rows)
        if new < old:
            self.beginRemoveRows(QModelIndex(), new, old - 1)
            del self._rows[new:]
            self.endRemoveRows()
        changed = [i for i in range(min(old, new)) if self._rows[i] != rows[i]]
        self._rows[: min(old, new)] = rows[: min(old, new)]
        if changed:
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], len(self.columns) - 1))
        if new > old:
            self.beginInsertRows(QModelIndex(), old, new - 1)
            self._rows.extend(rows[old:])
            self.endInsertRows()
