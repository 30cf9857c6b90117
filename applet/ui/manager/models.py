"""The table and tree models of License Manager's tabs and dialogs.

* :class:`RecordTableModel`: a small list of records held in memory, sorted and filtered in Python
  (Products View, and the lists inside the Properties and License Groups dialogs).
* :class:`PagedTableModel`: a big table read page by page on the gateway's heavy lane, sorted and
  filtered in SQL (Purchase History, Clients (Per Seat), Events). ``canFetchMore``/``fetchMore`` ask
  for the next page as the view scrolls; nothing waits on the UI thread.
* :func:`build_server_tree`: the Server Browser tree (enterprise -> site -> server -> products).

Each column has a header, a display function and a sort value; numbers are right-aligned. The
``SORT_ROLE`` gives native Python values (no string comparison of numbers).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel

from applet.domain.compliance import Compliance
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.records import (
    ClientSummary,
    EventRecord,
    ProductRecord,
    ProductSummary,
    PurchaseRecord,
    ServerRecord,
)
from applet.ui.icons import icon
from applet.ui.manager.gateway import StoreGateway
from applet.ui.manager.symbols import compliance_icon, local_time

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One column: header, the value shown, how it sorts (and, for paged models, the SQL sort key)."""

    header: str
    value: Callable[[Any], object]
    sort_key: str | None = None
    numeric: bool = False
    tooltip: str = ""

    def text(self, record: Any) -> str:
        """The cell text."""
        value = self.value(record)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return "" if value is None else str(value)


def mode_icon(mode: LicenseMode) -> Any:
    """The Server Browser symbol of a licensing mode (server: Per Server, seat: Per Seat)."""
    return icon("server" if mode is LicenseMode.PER_SERVER else "seat")


class _ColumnsMixin:
    columns: Sequence[Column]

    def _cell(self, record: Any, column: int, role: int) -> object:
        spec = self.columns[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.text(record)
        if role == SORT_ROLE:
            return spec.value(record)
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if spec.numeric:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and len(spec.text(record)) > 40:
            return spec.text(record)
        return None

    def _header(self, section: int, orientation: Qt.Orientation, role: int) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        spec = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.header
        if role == Qt.ItemDataRole.ToolTipRole and spec.tooltip:
            return spec.tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            alignment = Qt.AlignmentFlag.AlignRight if spec.numeric else Qt.AlignmentFlag.AlignLeft
            return int(alignment | Qt.AlignmentFlag.AlignVCenter)
        return None


class RecordTableModel(_ColumnsMixin, QAbstractTableModel):
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
            rows.sort(key=lambda r: _sortable(spec.value(r)), reverse=order == Qt.SortOrder.DescendingOrder)
        return rows


def _sortable(value: object) -> tuple[int, Any]:
    # Numbers before text, text case-insensitively; None last. Never compares across types.
    if value is None:
        return (2, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value).casefold())


PageQuery = Callable[[Store, int, int], list[Any]]
CountQuery = Callable[[Store], int]


class PagedTableModel(_ColumnsMixin, QAbstractTableModel):
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

        def job(store: Store) -> tuple[list[Any], int | None]:
            rows = page(store, offset, limit)
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

        self.gateway.submit(job, done, failed, lane="heavy")

    def _count(self, counter: CountQuery) -> None:
        query = self._query_generation

        def done(total: int) -> None:
            if query == self._query_generation:
                self.total = total
                self.total_changed.emit(total)

        self.gateway.submit(counter, done, lambda error: None, lane="heavy")

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


class PurchaseHistoryModel(PagedTableModel):
    """Purchase History: every add and remove of licenses, newest first."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("Date"), lambda r: local_time(r.created), "date"),
            Column(self.tr("Product"), lambda r: r.product, "product"),
            Column(
                self.tr("Quantity"),
                lambda r: r.quantity,
                "quantity",
                numeric=True,
                tooltip=self.tr("Negative for removed licenses"),
            ),
            Column(self.tr("Mode"), lambda r: r.mode.label, None),
            Column(self.tr("Administrator"), lambda r: r.administrator, "administrator"),
            Column(self.tr("Comment"), lambda r: r.comment, "comment"),
        ]
        self.text_filter = ""
        self.product_filter: str | None = None

    def default_sort(self) -> tuple[int, bool]:
        return (0, True)

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        text, product = self.text_filter, self.product_filter

        def page(store: Store, offset: int, limit: int) -> list[PurchaseRecord]:
            return store.ledger.history_page(sort_key, descending, text, product, offset, limit)  # type: ignore[arg-type]

        return page

    def count_query(self) -> CountQuery:
        text, product = self.text_filter, self.product_filter
        return lambda store: store.ledger.history_count(text, product)


class ClientsModel(PagedTableModel):
    """Clients (Per Seat): one row per user across products."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("User"), lambda r: r.user, "user"),
            Column(self.tr("Licensed Usage"), lambda r: r.licensed_usage, "licensed", numeric=True),
            Column(self.tr("Unlicensed Usage"), lambda r: r.unlicensed_usage, "unlicensed", numeric=True),
            Column(
                self.tr("Products"),
                lambda r: r.products,
                "products",
                tooltip=self.tr("Sorts by the number of products used"),
            ),
            Column(self.tr("Last Used"), lambda r: local_time(r.last_used), "last_used"),
        ]
        self.text_filter = ""
        self.product_filter: str | None = None

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        text, product = self.text_filter, self.product_filter

        def page(store: Store, offset: int, limit: int) -> list[ClientSummary]:
            return store.clients.summary_page(sort_key, descending, text, product, offset, limit)  # type: ignore[arg-type]

        return page

    def count_query(self) -> CountQuery:
        text, product = self.text_filter, self.product_filter
        return lambda store: store.clients.summary_count(text, product)

    def page_size(self) -> int:
        # Sorting by an aggregate costs one pass over every row whatever the page size: take bigger
        # pages then, so scrolling asks less often.
        return self.PAGE_SIZE if self.sort_state[0] == 0 else 5 * self.PAGE_SIZE


class EventsModel(PagedTableModel):
    """Events, newest first, filtered by type and product."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("ID"), lambda r: r.event_id, "id", numeric=True),
            Column(self.tr("Type"), lambda r: self.type_label(r.type), None),
            Column(self.tr("Time"), lambda r: local_time(r.time), "id"),  # ids grow with time
            Column(self.tr("Product"), lambda r: r.product or "", None),
            Column(self.tr("Message"), lambda r: r.message, None),
        ]
        self.type_filter: str | None = None
        self.product_filter: str | None = None

    def type_label(self, event_type: str) -> str:
        """Words for an event type."""
        return {
            "error": self.tr("Error"),
            "warning": self.tr("Warning"),
            "information": self.tr("Information"),
        }.get(event_type, event_type)

    def default_sort(self) -> tuple[int, bool]:
        return (0, True)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        valid = index.isValid() and 0 <= index.row() < len(self._rows)
        if role == Qt.ItemDataRole.DecorationRole and valid and index.column() == 1:
            kind = self._rows[index.row()].type
            state = {"error": Compliance.OVER_LIMIT, "warning": Compliance.AT_LIMIT}.get(kind)
            return compliance_icon(state) if state else None
        return super().data(index, role)

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        event_type, product = self.type_filter, self.product_filter

        def page(store: Store, offset: int, limit: int) -> list[EventRecord]:
            return store.events.list(
                product=product, event_type=event_type, limit=limit, offset=offset, newest_first=descending
            )

        return page

    def count_query(self) -> CountQuery:
        event_type, product = self.type_filter, self.product_filter
        return lambda store: store.events.count(product, event_type)


def products_view_model(parent: QObject | None = None) -> RecordTableModel:
    """Products View: per product what was bought, what is used, and a compliance symbol."""
    tr = _Translator(parent).tr
    columns = [
        Column(tr("Product"), lambda r: r.name),
        Column(tr("Mode"), lambda r: r.mode.label),
        Column(tr("Per Seat Purchased"), lambda r: r.per_seat_purchased, numeric=True),
        Column(tr("Per Seat Allocated"), lambda r: r.per_seat_allocated, numeric=True),
        Column(tr("Per Server Purchased"), lambda r: r.per_server_purchased, numeric=True),
        Column(
            tr("Per Server Reached"),
            lambda r: r.per_server_reached,
            numeric=True,
            tooltip=tr("The highest number of concurrent connections reached"),
        ),
        Column(tr("Compliance"), lambda r: compliance_label(r.compliance)),
    ]

    def decoration(record: ProductSummary, column: int) -> object:
        if column == 0:
            return compliance_icon(record.compliance)
        return None

    return RecordTableModel(columns, decoration, parent, key=lambda r: r.product_id)


def compliance_label(state: Compliance) -> str:
    """Translated words for a compliance state."""
    translator = _Translator(None)
    return {
        Compliance.COMPLIANT: translator.tr("Compliant"),
        Compliance.AT_LIMIT: translator.tr("At the limit"),
        Compliance.OVER_LIMIT: translator.tr("Over the limit"),
    }[state]


class _Translator(QObject):
    """Gives module-level functions a translation context (``LicenseManager``)."""

    def tr(self, text: str, disambiguation: str | None = None, n: int = -1) -> str:  # type: ignore[override]
        from PySide6.QtCore import QCoreApplication

        return QCoreApplication.translate("LicenseManager", text, disambiguation, n)


ITEM_KIND_ROLE = Qt.ItemDataRole.UserRole + 3


def build_server_tree(
    servers: Sequence[ServerRecord], products: Sequence[ProductRecord], parent: QObject | None = None
) -> QStandardItemModel:
    """Server Browser: enterprise -> site -> server -> products (with each product's mode symbol).

    This store knows the products of the local server; other servers (seen through replication) are
    listed without products.
    """
    tr = _Translator(parent).tr
    model = QStandardItemModel(parent)
    model.setHorizontalHeaderLabels([tr("Name"), tr("Licensing Mode"), tr("Licenses")])
    enterprise = QStandardItem(icon("licensing", recolor=False), tr("Enterprise"))
    enterprise.setData("enterprise", ITEM_KIND_ROLE)
    sites: dict[str, QStandardItem] = {}
    for server in servers:
        site_name = server.site or tr("Default site")
        site = sites.get(site_name)
        if site is None:
            site = QStandardItem(site_name)
            site.setData("site", ITEM_KIND_ROLE)
            sites[site_name] = site
            enterprise.appendRow([site, _plain(""), _plain("")])
        label = server.name + (tr(" (this server)") if server.is_local else "")
        server_item = QStandardItem(icon("server"), label)
        server_item.setData("server", ITEM_KIND_ROLE)
        server_item.setData(server.name, RECORD_ROLE)
        site.appendRow([server_item, _plain(""), _plain("")])
        if server.is_local:
            for product in products:
                item = QStandardItem(mode_icon(product.mode), product.name)
                item.setData("product", ITEM_KIND_ROLE)
                item.setData(product.name, RECORD_ROLE)
                item.setToolTip(tr("Double-click to choose the licensing mode"))
                licenses = (
                    tr("%n concurrent connection(s)", "", product.concurrent_limit)
                    if product.mode is LicenseMode.PER_SERVER
                    else tr("%n seat(s) purchased", "", product.per_seat_licenses)
                )
                server_item.appendRow([item, _plain(product.mode.label), _plain(licenses)])
    model.appendRow([enterprise, _plain(""), _plain("")])
    make_read_only(model)
    return model


def _plain(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    return item


def make_read_only(model: QAbstractItemModel) -> None:
    """Make every item of a QStandardItemModel read-only (a browser, not an editor)."""
    if not isinstance(model, QStandardItemModel):
        return
    stack = [model.invisibleRootItem()]
    while stack:
        item = stack.pop()
        for row in range(item.rowCount()):
            for column in range(item.columnCount()):
                child = item.child(row, column)
                if child is not None:
                    child.setEditable(False)
                    stack.append(child)
