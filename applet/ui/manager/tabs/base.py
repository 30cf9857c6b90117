"""The one small interface every License Manager tab has, and what the tabs share.

A tab owns its page (filter controls above a view), its view and model, and answers the window's few
questions: :meth:`ManagerTab.reload` (fresh data), :meth:`~ManagerTab.status_text`,
:meth:`~ManagerTab.export_job` (every row of its filter, for CSV), :meth:`~ManagerTab.selected_record`
and :meth:`~ManagerTab.selected_product`, and what Properties, Delete and the right-click menu do. The
window composes the tabs and never asks which one it is talking to.
"""

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from applet.store import Store
from applet.store.access import AdminAccess
from applet.store.paths import DataPaths
from applet.store.reports import TAB_TABLES, TabFilter
from applet.ui.gateway import StoreGateway
from applet.ui.manager.models.paged import PagedTableModel
from applet.ui.manager.reports import manager_words

# Rows and headers of a CSV export: read on the gateway's heavy lane (paged tabs read every row of
# their filter from the store; the others hand over what they hold).
ExportJob = Callable[[Store], tuple[list[str], list[list[object]]]]


class TabHost(Protocol):
    """What a tab needs from the window that composes it."""

    gateway: StoreGateway
    paths: DataPaths
    administrator: str
    access: AdminAccess

    def open_dialog(self, dialog: QWidget) -> None:
        """Open ``dialog`` (window-modal, deleted on close) and remember it as the child dialog."""

    def refresh(self) -> None:
        """Re-read every tab (an administrative change was made)."""

    def show_fault(self, message: str) -> None:
        """Say in the status bar that the store could not be read."""

    def show_status_message(self, text: str) -> None:
        """A passing message in the status bar."""

    def show_master_fault(self, message: str) -> None:
        """Say in the status bar that the master could not be read (the data shown stays)."""

    def master_failed(self, error: Exception) -> None:
        """A read from the master failed: :meth:`show_master_fault` with its one-line reason."""

    def popup_context_menu(self, tab: "ManagerTab", point: QPoint) -> None:
        """The right-click menu of ``tab``'s view at ``point`` (viewport coordinates)."""


class ManagerTab(QObject):
    """One tab of License Manager.

    Subclasses build :attr:`page`, :attr:`view` and :attr:`model` and define :meth:`reload` and
    :meth:`export_job` (which raise NotImplementedError here: abc.abstractmethod cannot be used, since a
    QObject has Shiboken's metaclass, which does not combine with ABCMeta).

    Signals:
        loaded(): fresh data is shown.
        status_changed(): :meth:`status_text` may say something else now.
        selection_changed(): the selected row changed (the window updates Properties and Delete).
    """

    loaded = Signal()
    status_changed = Signal()
    selection_changed = Signal()

    #: The settings key of the tab's column widths.
    key = ""
    #: The suggested file name of a CSV export, without ".csv".
    export_name = ""
    #: The help page's anchor for this tab (F1 opens the help of what is shown).
    help_topic = ""
    #: License -> Delete belongs on this tab's right-click menu.
    deletes_records = False

    def __init__(self, host: TabHost, title: str) -> None:
        super().__init__(host if isinstance(host, QObject) else None)
        self.host = host
        self.title = title
        self.page = QWidget()
        self.view: QTableView | QTreeView
        self.sized = False

    # -- the interface -------------------------------------------------------------------------
    def reload(self, live: bool = False) -> None:
        """Read fresh data; ``live``: the store changed under a tab in use (keep its place)."""
        raise NotImplementedError(f"{type(self).__name__} must define reload()")

    def load_choices(self) -> None:
        """Refill the filter's choices (products...) from the store; most tabs have none."""

    def use_master(self, connected: bool) -> None:
        """Show the whole enterprise from the gateway's master (True), or the local store (False).

        The caller reloads the tab afterwards. Tabs without an enterprise view keep the local store.
        """

    def apply_filter(self) -> None:
        """Hand the filter's current text and choices to the model."""

    def status_text(self) -> str:
        """What the status bar says about this tab."""
        return ""

    def export_job(self) -> ExportJob:
        """Headers and every row of the tab's filter, as shown."""
        raise NotImplementedError(f"{type(self).__name__} must define export_job()")

    def selected_record(self) -> Any:
        """The record of the selected row (None when nothing is selected)."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.view.model().record(rows[0].row())  # type: ignore[attr-defined]

    def selected_product(self) -> str | None:
        """The product of the selected row, if it has one."""
        record = self.selected_record()
        product = getattr(record, "product", None)
        return str(product) if product else None

    def can_show_properties(self) -> bool:
        """True when Properties has something to show for the selection."""
        return bool(self.selected_product())

    def show_properties(self) -> None:
        """License -> Properties: the selected product's properties."""
        from applet.ui.manager.dialogs.product_properties import ProductPropertiesDialog

        product = self.selected_product()
        if product:
            self.host.open_dialog(ProductPropertiesDialog(self.host.gateway, product, self.view.window()))

    def can_delete(self) -> bool:
        """True when License -> Delete applies to the selection."""
        return False

    def delete_selected(self) -> None:
        """License -> Delete."""

    def context_actions(self, menu: QMenu) -> bool:
        """Put this tab's own first entries on a right-click menu; False: the usual Properties/Delete."""
        return False

    # -- shared behaviour ----------------------------------------------------------------------
    def _table(self, model: Any, name: str) -> QTableView:
        """The tab's table: Enter and double-click open Properties; right-click the window's menu."""
        return make_table(
            model, name, self.show_properties, lambda point: self.host.popup_context_menu(self, point)
        )

    def header(self) -> QHeaderView:
        """The view's column header."""
        view = self.view
        return view.horizontalHeader() if isinstance(view, QTableView) else view.header()

    def restore_columns(self, state: object) -> None:
        """Column widths saved by :meth:`header`'s ``saveState``; the first load will not resize them."""
        if isinstance(state, QByteArray) and not state.isEmpty() and self.header().restoreState(state):
            self.sized = True

    def fit_columns_once(self) -> None:
        """Size the columns to what they show, the first time data arrives (unless restored)."""
        if self.sized:
            return
        self.sized = True
        view = self.view
        if isinstance(view, QTableView):
            header = view.horizontalHeader()
            wanted = [
                min(max(view.sizeHintForColumn(column), header.sectionSizeHint(column)) + 16, 360)
                for column in range(header.count())
            ]
            # Every column whole in the window: a long name gives up width (it elides) rather than
            # pushing the last columns behind a scroll bar ("Complia...").
            excess = sum(wanted) - view.viewport().width()
            if excess > 0 and wanted:
                widest = max(range(len(wanted)), key=wanted.__getitem__)
                floor = max(header.sectionSizeHint(widest), 120)
                wanted[widest] = max(floor, wanted[widest] - excess)
            for column in range(header.count() - 1):  # the last one stretches to the edge
                header.resizeSection(column, wanted[column])

    def data_loaded(self) -> None:
        """Fresh data arrived: fit the columns the first time and tell the window."""
        self.fit_columns_once()
        self.loaded.emit()


def master_export(model: PagedTableModel, master: Any) -> ExportJob:
    """Every row of an enterprise model's filter and sort, read from the master (the client is
    thread-safe), as its columns show them."""
    column, descending = model.sort_state
    page = model.page_query(model.columns[column].sort_key or "", descending)
    columns = list(model.columns)

    def job(_store: Store) -> tuple[list[str], list[list[object]]]:
        rows: list[Any] = []
        while True:
            chunk = page(master, len(rows), 10_000)
            rows.extend(chunk)
            if len(chunk) < 10_000:
                break
        return [c.header for c in columns], [[c.text(row) for c in columns] for row in rows]

    return job


def make_table(
    model: Any, name: str, on_activated: Callable[[], None], on_context_menu: Callable[[Any], None]
) -> QTableView:
    """A tab's table: row selection, read-only, sortable, fixed row height, Enter opens Properties."""
    view = QTableView()
    view.setModel(model)
    view.setObjectName(name.lower().replace(" ", "_").replace("(", "").replace(")", ""))
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    # Fixed row height: the view never measures a million rows.
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSortIndicatorShown(True)
    view.activated.connect(lambda _index: on_activated())
    view.doubleClicked.connect(lambda _index: on_activated())
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.customContextMenuRequested.connect(on_context_menu)
    # The indicator first: enabling sorting sorts by it at once.
    column, descending = model.sort_state if isinstance(model, PagedTableModel) else (0, False)
    header.setSortIndicator(
        column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    )
    view.setSortingEnabled(True)
    return view


def filter_box(name: str, placeholder: str) -> QLineEdit:
    """A filter's text field."""
    box = QLineEdit()
    box.setAccessibleName(name)
    box.setPlaceholderText(placeholder)
    box.setClearButtonEnabled(True)
    box.setMaxLength(128)
    return box


def choice_box(name: str, everything: str) -> QComboBox:
    """A filter's drop-down list, its first item ``everything`` (no filter)."""
    box = QComboBox()
    box.setAccessibleName(name)
    box.addItem(everything, None)
    return box


def lay_out_page(page: QWidget, controls: Sequence[QWidget], view: QWidget, label: str) -> None:
    """The filter row (``label`` is the first control's buddy) above the view."""
    row = QHBoxLayout()
    find = QLabel(label)
    find.setBuddy(controls[0])
    row.addWidget(find)
    for control in controls:
        row.addWidget(control, 1 if isinstance(control, QLineEdit) else 0)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addLayout(row)
    layout.addWidget(view, 1)


def fill_choices(box: QComboBox, names: Sequence[str]) -> None:
    """Keep the first ("All") item and the current choice; list ``names`` after it."""
    current = box.currentData()
    existing = [box.itemData(i) for i in range(1, box.count())]
    if existing == list(names):
        return
    box.blockSignals(True)
    while box.count() > 1:
        box.removeItem(1)
    for name in names:
        box.addItem(name, name)
    index = box.findData(current) if current is not None else 0
    box.setCurrentIndex(max(0, index))
    box.blockSignals(False)
    if current is not None and index < 0:
        box.currentIndexChanged.emit(0)


class PagedTab(ManagerTab):
    """A tab over a :class:`PagedTableModel`: live refresh of the rows in sight, "n of m shown".

    Connected to a master, the tab shows :attr:`enterprise_model` (made by :meth:`make_enterprise_model`
    the first time) in the same view; back on the local store, the model it was built with.
    """

    model: PagedTableModel
    enterprise_model: PagedTableModel | None = None

    def make_enterprise_model(self) -> PagedTableModel | None:
        """The tab's model of the whole enterprise (None: the tab shows the local store only)."""
        return None

    def _connect_model(self) -> None:
        self.local_model = self.model
        self._wire(self.model)

    def _wire(self, model: PagedTableModel) -> None:
        model.loaded.connect(self.data_loaded)
        model.total_changed.connect(lambda _total: self.status_changed.emit())
        model.failed.connect(
            self.host.show_fault if model is self.local_model else self.host.show_master_fault
        )
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())

    def use_master(self, connected: bool) -> None:
        if connected and self.enterprise_model is None:
            self.enterprise_model = self.make_enterprise_model()
        wanted = (
            self.enterprise_model if connected and self.enterprise_model is not None else self.local_model
        )
        if wanted is self.model:
            return
        self.model = wanted
        view = self.view
        assert isinstance(view, QTableView)
        view.setModel(wanted)
        view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        column, descending = wanted.sort_state
        view.horizontalHeader().setSortIndicator(
            column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        )
        self.sized = False
        self.apply_filter()
        self.status_changed.emit()

    def reload(self, live: bool = False) -> None:
        self.model.reload(self._rows_in_sight() if live else None)
        if live:
            # What the filter offers may have changed too (a product's first event...).
            self.load_choices()

    def _rows_in_sight(self) -> int:
        """The rows a live refresh must re-read: down to the last visible one, and a page more."""
        view = self.view
        last = view.rowAt(view.viewport().height() - 1)  # type: ignore[union-attr]
        if last < 0:
            last = self.model.rowCount()
        return last + 1 + PagedTableModel.PAGE_SIZE

    def status_text(self) -> str:
        shown, total = self.model.rowCount(), self.model.total
        if total is None:
            return self.tr("%1 shown").replace("%1", f"{shown:,}")
        return self.tr("%1 of %2 shown").replace("%1", f"{shown:,}").replace("%2", f"{total:,}")

    def export_job(self) -> ExportJob:
        # The rows come from the shared, Qt-free reports (the same as `lls export`), with this
        # tab's filter and sort; the enterprise's from the master, page after page.
        model = self.model
        if model is self.enterprise_model and self.host.gateway.master is not None:
            return master_export(model, self.host.gateway.master)
        column, descending = model.sort_state
        shown = TabFilter(
            text=getattr(model, "text_filter", "") or "",
            product=getattr(model, "product_filter", None),
            event_type=getattr(model, "type_filter", None),
            sort_key=model.columns[column].sort_key,
            descending=descending,
        )
        table, words = TAB_TABLES[self.key], manager_words()
        return lambda store: table(store, shown, words)

    def _debounce(self, box: QLineEdit) -> None:
        """Typing in ``box`` waits for a pause before asking the store; Enter asks at once."""
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(250)
        timer.timeout.connect(self.apply_filter)
        box.textChanged.connect(timer.start)
        box.returnPressed.connect(timer.stop)
        box.returnPressed.connect(self.apply_filter)
        self._filter_timer = timer

    def _set_filter(self, **values: object) -> None:
        """Give the model new filter values; it reads its first page again only when they differ."""
        if hasattr(self, "_filter_timer"):
            self._filter_timer.stop()
        if any(getattr(self.model, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(self.model, name, value)
            self.model.restart()
