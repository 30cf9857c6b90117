"""License Manager's main window: five tabs, menus, toolbar, live refresh and the service status.

Tabs: Purchase History, Products View, Clients (Per Seat), Server Browser, Events. Every read runs on
the gateway's worker threads; the poller notices the service's writes (about once a second) and the
visible tab is refreshed, the others when they are next shown. The window keeps showing the last data
it read when the store is locked or gone, and says so in the status bar.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, QPoint, QProcess, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from applet import __version__
from applet.client.discovery import ServiceEndpoint
from applet.store import Store
from applet.store.identity import current_administrator
from applet.store.paths import DataPaths
from applet.store.records import ClientSummary, EventRecord, ProductRecord, ProductSummary, PurchaseRecord
from applet.ui import messages
from applet.ui.icons import icon
from applet.ui.manager.dialogs import (
    ClientPropertiesDialog,
    LicenseGroupsDialog,
    NewLicenseDialog,
    ProductPropertiesDialog,
)
from applet.ui.manager.gateway import LivePoller, StoreGateway, connected_now
from applet.ui.manager.models import (
    ITEM_KIND_ROLE,
    RECORD_ROLE,
    ClientsModel,
    EventsModel,
    PagedTableModel,
    PurchaseHistoryModel,
    RecordTableModel,
    build_server_tree,
    compliance_label,
    products_view_model,
)
from applet.ui.manager.reports import compliance_html, compliance_lines, csv_text, write_atomically

HISTORY, PRODUCTS, CLIENTS, SERVERS, EVENTS = range(5)
SETTINGS_FILE = "license-manager.ini"
HELP_PAGE = "license-manager.html"
# The help topic (an anchor of the page) of each tab: F1 opens the help of what is shown.
HELP_TOPICS = ("purchase-history", "products-view", "clients", "server-browser", "events")
EXPORT_PAGE = 10_000
# The most leases the service lists in one answer (its MAX_LIST).
LEASES_LIMIT = 10_000


class ManagerWindow(QMainWindow):
    """The License Manager window.

    Args:
        paths: the store's locations (the data folder decides everything).
        poll_interval_ms: how often to look for the service's writes.

    Attributes:
        child_dialog: the dialog opened last and still open (tests and screenshots reach it here).

    Signals:
        refreshed(int): a tab finished loading fresh data (its index).
    """

    refreshed = Signal(int)

    def __init__(self, paths: DataPaths, poll_interval_ms: int = 1000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.administrator = current_administrator()
        self.gateway = StoreGateway(paths, self)
        self.poller = LivePoller(self.gateway, poll_interval_ms, self)
        self.settings = QSettings(str(paths.data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)
        self.child_dialog: QWidget | None = None
        self.file_dialog: QFileDialog | None = None
        self.service: ServiceEndpoint | None = None
        self._stale: set[int] = set(range(5))
        self._sized: set[int] = set()
        self._server_signature: object = None
        self._service_process: QProcess | None = None
        self.setObjectName("license_manager_window")
        self.setWindowTitle(self.tr("License Manager"))
        self.setWindowIcon(icon("licensing", recolor=False))

        self._build_tabs()
        self._build_actions()
        self._build_status_bar()
        self.gateway.failed.connect(self.show_fault)
        self.poller.changed.connect(self.store_changed)
        self.poller.service_changed.connect(self._service_changed)
        self.poller.fault.connect(self._poll_fault)
        self.tabs.currentChanged.connect(self._tab_shown)
        self._restore_settings()
        self._update_actions()

    # ------------------------------------------------------------------ construction

    def _table(self, model: Any, name: str) -> QTableView:
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
        view.activated.connect(lambda _index: self.show_properties())
        view.doubleClicked.connect(lambda _index: self.show_properties())
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda point, view=view: self._context_menu(view, point))
        # The indicator first: enabling sorting sorts by it at once.
        column, descending = model.sort_state if isinstance(model, PagedTableModel) else (0, False)
        header.setSortIndicator(
            column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        )
        view.setSortingEnabled(True)
        if isinstance(model, PagedTableModel):
            header.sortIndicatorChanged.connect(lambda _c, _o, view=view: self._keep_sort_indicator(view))
        return view

    @staticmethod
    def _keep_sort_indicator(view: QTableView) -> None:
        # A column the store cannot sort by (Mode, Type, Message...) leaves the order as it was:
        # put the arrow back where the order really is.
        model = view.model()
        assert isinstance(model, PagedTableModel)
        column, descending = model.sort_state
        header = view.horizontalHeader()
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        if (header.sortIndicatorSection(), header.sortIndicatorOrder()) != (column, order):
            header.blockSignals(True)
            header.setSortIndicator(column, order)
            header.blockSignals(False)
            header.viewport().update()

    def _filter_box(self, name: str, placeholder: str) -> QLineEdit:
        box = QLineEdit()
        box.setAccessibleName(name)
        box.setPlaceholderText(placeholder)
        box.setClearButtonEnabled(True)
        box.setMaxLength(128)
        return box

    def _page(self, controls: list[QWidget], view: QWidget, label: str) -> QWidget:
        page = QWidget()
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
        return page

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("manager_tabs")
        self.tabs.setAccessibleName(self.tr("License Manager views"))
        self.tabs.setDocumentMode(True)

        self.history_model = PurchaseHistoryModel(self.gateway, self)
        self.history_view = self._table(self.history_model, self.tr("Purchase History"))
        self.history_filter = self._filter_box(
            self.tr("Filter purchase history"), self.tr("Product, administrator or comment")
        )
        self.tabs.addTab(
            self._page([self.history_filter], self.history_view, self.tr("&Filter:")),
            self.tr("Purchase History"),
        )

        self.products_model = products_view_model(self)
        self.products_view = self._table(self.products_model, self.tr("Products View"))
        self.products_view.setIconSize(self.products_view.iconSize())
        self.products_filter = self._filter_box(self.tr("Filter products"), self.tr("Product name"))
        self.tabs.addTab(
            self._page([self.products_filter], self.products_view, self.tr("F&ilter:")),
            self.tr("Products View"),
        )

        self.clients_model = ClientsModel(self.gateway, self)
        self.clients_view = self._table(self.clients_model, self.tr("Clients (Per Seat)"))
        self.clients_filter = self._filter_box(self.tr("Filter clients by user"), self.tr("User name"))
        self.clients_product = QComboBox()
        self.clients_product.setAccessibleName(self.tr("Show clients of product"))
        self.clients_product.addItem(self.tr("All products"), None)
        self.tabs.addTab(
            self._page([self.clients_filter, self.clients_product], self.clients_view, self.tr("Fi&lter:")),
            self.tr("Clients (Per Seat)"),
        )

        self.server_view = QTreeView()
        self.server_view.setObjectName("server_browser")
        self.server_view.setAccessibleName(self.tr("Server Browser"))
        self.server_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.server_view.setAlternatingRowColors(True)
        self.server_view.setUniformRowHeights(True)
        self.server_model: QStandardItemModel = build_server_tree([], [], self)
        self.server_view.setModel(self.server_model)
        self.server_view.doubleClicked.connect(self._server_item_activated)
        self.server_view.activated.connect(self._server_item_activated)
        self.server_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.server_view.customContextMenuRequested.connect(
            lambda point: self._context_menu(self.server_view, point)
        )
        server_page = QWidget()
        server_layout = QVBoxLayout(server_page)
        server_layout.setContentsMargins(6, 6, 6, 6)
        server_hint = QLabel(self.tr("Double-click a product to choose its licensing mode."))
        server_layout.addWidget(server_hint)
        server_layout.addWidget(self.server_view, 1)
        self.tabs.addTab(server_page, self.tr("Server Browser"))

        self.events_model = EventsModel(self.gateway, self)
        self.events_view = self._table(self.events_model, self.tr("Events"))
        self.events_type = QComboBox()
        self.events_type.setAccessibleName(self.tr("Show events of type"))
        self.events_type.addItem(self.tr("All types"), None)
        self.events_type.addItem(self.tr("Errors"), "error")
        self.events_type.addItem(self.tr("Warnings"), "warning")
        self.events_type.addItem(self.tr("Information"), "information")
        self.events_product = QComboBox()
        self.events_product.setAccessibleName(self.tr("Show events of product"))
        self.events_product.addItem(self.tr("All products"), None)
        self.tabs.addTab(
            self._page([self.events_type, self.events_product], self.events_view, self.tr("Sho&w:")),
            self.tr("Events"),
        )
        self.setCentralWidget(self.tabs)

        # Typing in a filter waits for a pause before asking the store.
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.apply_filters)
        for box in (self.history_filter, self.clients_filter):
            box.textChanged.connect(self._filter_timer.start)
            box.returnPressed.connect(self.apply_filters)
        self.products_filter.textChanged.connect(self._filter_products)
        self.clients_product.currentIndexChanged.connect(self.apply_filters)
        self.events_type.currentIndexChanged.connect(self.apply_filters)
        self.events_product.currentIndexChanged.connect(self.apply_filters)

        for model, tab in (
            (self.history_model, HISTORY),
            (self.clients_model, CLIENTS),
            (self.events_model, EVENTS),
        ):
            model.loaded.connect(lambda tab=tab: self._loaded(tab))
            model.total_changed.connect(lambda _total, tab=tab: self._update_status(tab))
            model.failed.connect(self.show_fault)
        for view in (self.history_view, self.products_view, self.clients_view, self.events_view):
            view.selectionModel().selectionChanged.connect(self._update_actions)
        self.server_view.selectionModel().selectionChanged.connect(self._update_actions)

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | str | None = None,
        icon_name: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        tr = self.tr
        self.export_action = self._action(tr("&Export Current Tab as CSV..."), self.export_csv, "Ctrl+E")
        self.report_action = self._action(
            tr("&Compliance Report (HTML)..."), self.export_compliance_report, "Ctrl+R"
        )
        self.new_license_action = self._action(
            tr("&New License..."), self.new_license, QKeySequence.StandardKey.New, "add"
        )
        self.groups_action = self._action(tr("License &Groups..."), self.license_groups, "Ctrl+G")
        self.properties_action = self._action(
            tr("&Properties"), self.show_properties, "Alt+Return", "product"
        )
        self.delete_action = self._action(
            tr("&Delete"), self.delete_selected, QKeySequence.StandardKey.Delete, "remove"
        )
        self.exit_action = self._action(tr("E&xit"), self.close, "Ctrl+Q")
        self.refresh_action = self._action(tr("&Refresh"), self.refresh, QKeySequence.StandardKey.Refresh)
        self.contents_action = self._action(
            tr("&Contents"), self.show_help, QKeySequence.StandardKey.HelpContents, "help"
        )
        self.about_action = self._action(tr("&About License Manager"), self.show_about)
        self.tab_actions = []
        for index in range(self.tabs.count()):
            action = self._action(
                self.tabs.tabText(index),
                lambda index=index: self.tabs.setCurrentIndex(index),
                f"Ctrl+{index + 1}",
            )
            action.setCheckable(True)
            self.tab_actions.append(action)

        bar = self.menuBar()
        file_menu = bar.addMenu(tr("&File"))
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.report_action)
        license_menu = bar.addMenu(tr("&License"))
        license_menu.addAction(self.new_license_action)
        license_menu.addAction(self.groups_action)
        license_menu.addSeparator()
        license_menu.addAction(self.properties_action)
        license_menu.addAction(self.delete_action)
        license_menu.addSeparator()
        license_menu.addAction(self.exit_action)
        view_menu = bar.addMenu(tr("&View"))
        for action in self.tab_actions:
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.refresh_action)
        help_menu = bar.addMenu(tr("&Help"))
        help_menu.addAction(self.contents_action)
        help_menu.addAction(self.about_action)
        self.menus = {"file": file_menu, "license": license_menu, "view": view_menu, "help": help_menu}

        toolbar = QToolBar(tr("Toolbar"))
        toolbar.setObjectName("manager_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (
            self.new_license_action,
            self.properties_action,
            self.delete_action,
            self.refresh_action,
        ):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_label = QLabel()
        self.status_label.setObjectName("status_text")
        self.fault_label = QLabel()
        self.fault_label.setObjectName("store_fault")
        self.fault_label.setStyleSheet("color: #c62828; font-weight: bold;")
        self.fault_label.setWordWrap(False)
        self.fault_label.hide()
        self.service_label = QLabel(self.tr("Service: checking..."))
        self.service_label.setObjectName("service_status")
        self.start_button = QPushButton(self.tr("&Start Service"))
        self.start_button.setAccessibleName(self.tr("Start the License Logging service"))
        self.start_button.clicked.connect(self.start_service)
        self.start_button.hide()
        bar.addWidget(self.status_label, 1)
        bar.addWidget(self.fault_label, 2)
        bar.addPermanentWidget(self.service_label)
        bar.addPermanentWidget(self.start_button)

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(980, 600)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for tab, (name, view) in enumerate(self._views().items()):
            header_state = self.settings.value(f"columns/{name}")
            if isinstance(header_state, QByteArray) and not header_state.isEmpty():
                header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
                if header.restoreState(header_state):
                    self._sized.add(tab)
        try:
            tab = int(self.settings.value("window/tab", PRODUCTS))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            tab = PRODUCTS
        self.tabs.setCurrentIndex(tab if 0 <= tab < self.tabs.count() else PRODUCTS)

    def save_settings(self) -> None:
        """Remember the geometry, the tab and the column widths."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        for name, view in self._views().items():
            header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
            self.settings.setValue(f"columns/{name}", header.saveState())
        self.settings.sync()

    def _views(self) -> dict[str, QTableView | QTreeView]:
        return {
            "history": self.history_view,
            "products": self.products_view,
            "clients": self.clients_view,
            "servers": self.server_view,
            "events": self.events_view,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Load the visible tab and start watching the store."""
        self._tab_shown(self.tabs.currentIndex())
        self._load_filter_choices()
        self.poller.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.poller.stop()
        self.gateway.close()
        super().closeEvent(event)

    # ------------------------------------------------------------------ refreshing

    def refresh(self) -> None:
        """Re-read the visible tab now (View -> Refresh); the others when next shown."""
        self._stale = set(range(self.tabs.count()))
        self._server_signature = None
        self._load_filter_choices()
        self._tab_shown(self.tabs.currentIndex())

    def store_changed(self) -> None:
        """The store changed (the service or another program wrote): refresh what is visible."""
        self._stale = set(range(self.tabs.count()))
        self._refresh_tab(self.tabs.currentIndex(), live=True)

    def _tab_shown(self, index: int) -> None:
        for number, action in enumerate(getattr(self, "tab_actions", [])):
            action.setChecked(number == index)
        if index in self._stale:
            self._refresh_tab(index)
        self._update_status(index)
        self._update_actions()

    def _rows_in_sight(self, view: QTableView) -> int:
        """The rows a live refresh must re-read: down to the last visible one, and a page more."""
        last = view.rowAt(view.viewport().height() - 1)
        if last < 0:
            last = view.model().rowCount()
        return last + 1 + PagedTableModel.PAGE_SIZE

    def _refresh_tab(self, index: int, live: bool = False) -> None:
        self._stale.discard(index)
        if index == HISTORY:
            self.history_model.reload(self._rows_in_sight(self.history_view) if live else None)
        elif index == CLIENTS:
            self.clients_model.reload(self._rows_in_sight(self.clients_view) if live else None)
        elif index == EVENTS:
            self.events_model.reload(self._rows_in_sight(self.events_view) if live else None)
            if live:
                self._load_filter_choices()
        elif index == PRODUCTS:
            self._load_products()
        elif index == SERVERS:
            self._load_servers()

    def _load_products(self) -> None:
        def job(store: Store) -> list[ProductSummary]:
            # With the service running, Per Server compliance follows the clients connected now;
            # without it, the highest count reached.
            live = connected_now(store.paths)
            if live is None:
                return store.usage.summaries()
            ids = {record.name.casefold(): record.product_id for record in store.products.list()}
            in_use = {ids[name]: count for name, count in live.items() if name in ids}
            return store.usage.summaries(in_use=in_use)

        def done(summaries: list[ProductSummary]) -> None:
            self.products_model.set_records(summaries)
            self._loaded(PRODUCTS)

        self.gateway.submit(job, done)

    def _load_servers(self) -> None:
        def job(store: Store) -> tuple[list[Any], list[ProductRecord]]:
            return store.replication.servers(), store.products.list()

        def done(result: tuple[list[Any], list[ProductRecord]]) -> None:
            servers, products = result
            signature = (
                tuple(servers),
                tuple((p.name, p.mode, p.concurrent_limit, p.per_seat_licenses) for p in products),
            )
            if signature != self._server_signature:
                self._server_signature = signature
                old = self.server_model
                self.server_model = build_server_tree(servers, products, self)
                self.server_view.setModel(self.server_model)
                self.server_view.selectionModel().selectionChanged.connect(self._update_actions)
                self.server_view.expandAll()
                self.server_view.resizeColumnToContents(0)
                old.deleteLater()
            self._loaded(SERVERS)

        self.gateway.submit(job, done)

    def _load_filter_choices(self) -> None:
        def job(store: Store) -> tuple[list[str], tuple[str, ...]]:
            return [p.name for p in store.products.list()], store.events.products()

        def done(result: tuple[list[str], tuple[str, ...]]) -> None:
            products, event_products = result
            _fill_choices(self.clients_product, products)
            _fill_choices(self.events_product, list(event_products))

        self.gateway.submit(job, done)

    def apply_filters(self) -> None:
        """Hand the filters to the models; each asks the store for its first page again."""
        self._filter_timer.stop()
        history = (self.history_filter.text().strip(), None)
        if (self.history_model.text_filter, self.history_model.product_filter) != history:
            self.history_model.text_filter, self.history_model.product_filter = history
            self.history_model.restart()
        clients = (self.clients_filter.text().strip(), self.clients_product.currentData())
        if (self.clients_model.text_filter, self.clients_model.product_filter) != clients:
            self.clients_model.text_filter, self.clients_model.product_filter = clients
            self.clients_model.restart()
        events = (self.events_type.currentData(), self.events_product.currentData())
        if (self.events_model.type_filter, self.events_model.product_filter) != events:
            self.events_model.type_filter, self.events_model.product_filter = events
            self.events_model.restart()

    def _filter_products(self, text: str) -> None:
        needle = text.strip().casefold()
        self.products_model.set_filter((lambda r: needle in r.name.casefold()) if needle else None)
        self._update_status(PRODUCTS)

    def _loaded(self, tab: int) -> None:
        if tab not in self._sized:
            self._sized.add(tab)
            view = list(self._views().values())[tab]
            if isinstance(view, QTableView):
                header = view.horizontalHeader()
                for column in range(header.count() - 1):
                    width = max(view.sizeHintForColumn(column), header.sectionSizeHint(column))
                    header.resizeSection(column, min(width + 16, 360))
        if tab == self.tabs.currentIndex():
            self._update_status(tab)
        self.refreshed.emit(tab)

    def _update_status(self, tab: int) -> None:
        if tab != self.tabs.currentIndex():
            return
        paged = {HISTORY: self.history_model, CLIENTS: self.clients_model, EVENTS: self.events_model}.get(tab)
        if paged is not None:
            shown = paged.rowCount()
            total = paged.total
            if total is None:
                text = self.tr("%1 shown").replace("%1", f"{shown:,}")
            else:
                text = self.tr("%1 of %2 shown").replace("%1", f"{shown:,}").replace("%2", f"{total:,}")
        elif tab == PRODUCTS:
            over = sum(1 for r in self.products_model.all_records() if r.compliance.value == "over-limit")
            text = (
                self.tr("%1 products, %2 over the limit")
                .replace("%1", f"{self.products_model.rowCount():,}")
                .replace("%2", f"{over:,}")
            )
        else:
            text = ""
        self.status_label.setText(text)

    # ------------------------------------------------------------------ faults and the service

    def show_fault(self, message: str) -> None:
        """Say in the status bar that the store could not be read (the data shown stays)."""
        self.fault_label.setText(
            self.tr("Store problem: %1 (showing the last data read)").replace("%1", message)
        )
        self.fault_label.setToolTip(message)
        self.fault_label.show()

    def _poll_fault(self, message: str) -> None:
        if message:
            self.show_fault(message)
        else:
            self.fault_label.hide()
            self.fault_label.clear()
            self.refresh()

    def _service_changed(self, endpoint: ServiceEndpoint | None) -> None:
        self.service = endpoint
        if endpoint is None:
            self.service_label.setText(self.tr("Service stopped: showing the store's data"))
            may_start = os.access(self.paths.data_dir, os.W_OK)
            self.start_button.setVisible(may_start)
            self.start_button.setEnabled(self._service_process is None)
        else:
            self.service_label.setText(
                self.tr("Service running at %1 (process %2)")
                .replace("%1", endpoint.url)
                .replace("%2", str(endpoint.pid))
            )
            self.start_button.hide()

    def start_service(self) -> None:
        """Start the License Logging service in the background (``lls service start``)."""
        if self._service_process is not None:
            return
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self._service_process = process
        self.start_button.setEnabled(False)
        self.service_label.setText(self.tr("Starting the service..."))

        def finished(code: int, _status: QProcess.ExitStatus) -> None:
            output = bytes(process.readAll().data()).decode("utf-8", "replace").strip()
            self._service_process = None
            process.deleteLater()
            self.start_button.setEnabled(True)
            if code != 0:
                messages.critical(
                    self,
                    self.tr("Start Service"),
                    self.tr("The service did not start."),
                    output.splitlines()[-1] if output else "",
                )
            self.poller.poll()

        def failed(_error: QProcess.ProcessError) -> None:
            if process.state() == QProcess.ProcessState.NotRunning and self._service_process is process:
                finished(1, QProcess.ExitStatus.CrashExit)

        process.finished.connect(finished)
        process.errorOccurred.connect(failed)
        program, prefix = lls_command()
        process.start(program, [*prefix, "--data-dir", str(self.paths.data_dir), "service", "start"])

    # ------------------------------------------------------------------ selection and actions

    def current_view(self) -> QTableView | QTreeView:
        """The view of the visible tab."""
        return list(self._views().values())[self.tabs.currentIndex()]

    def selected_record(self) -> Any:
        """The record of the selected row of the visible tab (None when nothing is selected)."""
        view = self.current_view()
        if isinstance(view, QTreeView) and not isinstance(view, QTableView):
            index = view.currentIndex()
            if not index.isValid():
                return None
            first = index.sibling(index.row(), 0)
            return (first.data(ITEM_KIND_ROLE), first.data(RECORD_ROLE))
        rows = view.selectionModel().selectedRows()
        if not rows:
            return None
        model = view.model()
        assert isinstance(model, (RecordTableModel, PagedTableModel))
        return model.record(rows[0].row())

    def _update_actions(self, *_args: object) -> None:
        record = self.selected_record()
        tab = self.tabs.currentIndex()
        self.delete_action.setEnabled(tab == CLIENTS and isinstance(record, ClientSummary))
        has_product = bool(self._selected_product())
        self.properties_action.setEnabled(has_product or (tab == CLIENTS and record is not None))

    def _selected_product(self) -> str | None:
        record = self.selected_record()
        if isinstance(record, ProductSummary):
            return record.name
        if isinstance(record, PurchaseRecord):
            return record.product
        if isinstance(record, EventRecord):
            return record.product
        if isinstance(record, tuple) and record[0] == "product":
            return str(record[1])
        return None

    def _open(self, dialog: QWidget) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.child_dialog = dialog

        def gone() -> None:
            if self.child_dialog is dialog:
                self.child_dialog = None

        dialog.destroyed.connect(gone)
        dialog.open()  # type: ignore[attr-defined]

    def new_license(self) -> None:
        """License -> New License...: the New Client Access License dialog."""
        preset = self._selected_product()

        def done(products: list[ProductRecord]) -> None:
            if not products:
                messages.information(self, self.tr("New License"), self.tr("No product is registered yet."))
                return
            dialog = NewLicenseDialog(self.gateway, products, preset, self)
            dialog.added.connect(lambda _purchase: self.refresh())
            self._open(dialog)

        self.gateway.submit(lambda store: store.products.list(), done)

    def license_groups(self) -> None:
        """License -> License Groups...."""
        dialog = LicenseGroupsDialog(self.gateway, self)
        dialog.changed.connect(self.refresh)
        self._open(dialog)

    def show_properties(self) -> None:
        """License -> Properties: of the selected product or client."""
        record = self.selected_record()
        if self.tabs.currentIndex() == CLIENTS and isinstance(record, ClientSummary):
            dialog: QWidget = ClientPropertiesDialog(self.gateway, record.user, self.delete_client, self)
            dialog.changed.connect(self.refresh)  # type: ignore[attr-defined]
            self._open(dialog)
            return
        if self.tabs.currentIndex() == SERVERS:
            if isinstance(record, tuple) and record[0] == "product":
                self.choose_licensing_mode(str(record[1]))
            return
        product = self._selected_product()
        if product:
            self._open(ProductPropertiesDialog(self.gateway, product, self))

    def context_menu_for(self, view: QAbstractItemView, point: QPoint) -> QMenu:
        """The right-click menu of a view at ``point`` (the row there is selected first)."""
        index = view.indexAt(point)
        if index.isValid():
            view.setCurrentIndex(index)
            if isinstance(view, QTableView):
                view.selectRow(index.row())
        menu = QMenu(view)
        record = self.selected_record()
        if view is self.server_view and isinstance(record, tuple):
            if record[0] == "product":
                menu.addAction(
                    self.tr("Choose &Licensing Mode..."), lambda: self.choose_licensing_mode(str(record[1]))
                )
            elif record[0] == "server":
                menu.addAction(icon("replication"), self.tr("&Replication..."), self.replication)
        else:
            menu.addAction(self.properties_action)
            if view is self.clients_view:
                menu.addAction(self.delete_action)
        menu.addSeparator()
        menu.addAction(self.new_license_action)
        menu.addAction(self.refresh_action)
        return menu

    def _context_menu(self, view: QAbstractItemView, point: QPoint) -> None:
        menu = self.context_menu_for(view, point)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(view.viewport().mapToGlobal(point))

    def replication(self) -> None:
        """Server -> Replication...: the applet's Replication Configuration dialog."""
        from applet.ui.licensing.replication import ReplicationDialog

        try:
            store = Store(self.paths)
        except Exception as error:  # a store fault: say so, the window stays
            messages.critical(self, self.tr("Replication"), " ".join(str(error).split()))
            return
        dialog = ReplicationDialog(store, self)
        dialog.finished.connect(lambda _result: store.close())
        self._open(dialog)

    def _server_item_activated(self, index: QModelIndex) -> None:
        first = index.sibling(index.row(), 0)
        if first.data(ITEM_KIND_ROLE) == "product":
            self.choose_licensing_mode(str(first.data(RECORD_ROLE)))

    def choose_licensing_mode(self, product: str) -> None:
        """Open the Licensing applet's Choose Licensing Mode dialog for ``product``.

        The applet's dialog works on a store of its own, opened here and closed with the dialog.
        """
        from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog

        try:
            store = Store(self.paths)
        except Exception as error:  # a store fault: say so, the window stays
            messages.critical(self, self.tr("Choose Licensing Mode"), " ".join(str(error).split()))
            return
        dialog = ChooseLicensingModeDialog(
            store, self, product=product, only_product=True, administrator=self.administrator
        )
        dialog.committed.connect(self.refresh)
        dialog.finished.connect(lambda _result: store.close())
        self._open(dialog)

    def delete_selected(self) -> None:
        """License -> Delete: the selected client, after confirmation."""
        record = self.selected_record()
        if self.tabs.currentIndex() == CLIENTS and isinstance(record, ClientSummary):
            self.delete_client(record.user)

    def delete_client(self, user: str, after: Callable[[], None] | None = None) -> None:
        """Delete a Per Seat client, freeing its licenses.

        Asks for confirmation; when the service runs, it is asked first whether the user holds a
        license right now, and a client in use is not deleted.
        """
        title = self.tr("Delete Client")
        if not messages.question(
            self,
            title,
            self.tr("Delete client %1 and free its licenses?").replace("%1", user),
            self.tr("Its usage history is removed; its licenses go to clients waiting for one."),
        ):
            return
        self._delete_client(user, after, ask_service=True)

    def _delete_client(self, user: str, after: Callable[[], None] | None, ask_service: bool) -> None:
        title = self.tr("Delete Client")
        administrator = self.administrator

        def job(store: Store) -> tuple[str, object]:
            if ask_service:
                holding = products_in_use(store.paths, user)
                if holding is None:
                    return ("unknown", None)
                if holding:
                    return ("in-use", holding)
            return ("deleted", store.clients.delete(user, administrator))

        def done(result: tuple[str, object]) -> None:
            outcome, detail = result
            if outcome == "unknown":
                if messages.question(
                    self,
                    title,
                    self.tr("The running service could not say whether %1 is using a product now.").replace(
                        "%1", user
                    ),
                    self.tr("Delete the client anyway?"),
                ):
                    self._delete_client(user, after, ask_service=False)
                return
            if outcome == "in-use":
                messages.warning(
                    self,
                    title,
                    self.tr("Client %1 is using %2 right now and was not deleted.")
                    .replace("%1", user)
                    .replace("%2", ", ".join(detail)),  # type: ignore[arg-type]
                    self.tr("Delete it when it has disconnected."),
                )
                return
            self.statusBar().showMessage(self.tr("Client %1 deleted.").replace("%1", user), 5000)
            self.refresh()
            if after is not None:
                after()

        def failed(error: Exception) -> None:
            messages.critical(self, title, " ".join(str(error).split()))

        self.gateway.submit(job, done, failed)

    # ------------------------------------------------------------------ files

    def _ask_path(self, title: str, name_filter: str, suggested: str, then: Callable[[Path], None]) -> None:
        dialog = QFileDialog(self, title, str(Path.home() / suggested), name_filter)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda chosen: then(Path(chosen)))
        self.file_dialog = dialog
        dialog.open()

    def export_csv(self, path: Path | None = None) -> None:
        """File -> Export Current Tab as CSV: every row of the tab's filter, not only those loaded."""
        tab = self.tabs.currentIndex()
        if path is None:
            names = ["purchase-history", "products", "clients", "servers", "events"]
            self._ask_path(
                self.tr("Export as CSV"), self.tr("CSV files (*.csv)"), f"{names[tab]}.csv", self.export_csv
            )
            return
        title = self.tr("Export as CSV")
        model = {HISTORY: self.history_model, CLIENTS: self.clients_model, EVENTS: self.events_model}.get(tab)
        if model is not None:
            columns = list(model.columns)
            page = model.page_query(columns[model.sort_state[0]].sort_key or "", model.sort_state[1])

            def job(store: Store) -> int:
                rows: list[Any] = []
                while True:
                    chunk = page(store, len(rows), EXPORT_PAGE)
                    rows.extend(chunk)
                    if len(chunk) < EXPORT_PAGE:
                        break
                write_atomically(
                    path, csv_text([c.header for c in columns], ([c.value(r) for c in columns] for r in rows))
                )
                return len(rows)

            self.gateway.submit(
                job,
                lambda count: self._saved(path, count),
                lambda error: self._save_failed(title, path, error),
                "heavy",
            )
            return
        if tab == PRODUCTS:
            columns = list(self.products_model.columns)
            headers = [c.header for c in columns]
            rows = [[c.value(r) for c in columns] for r in self.products_model.records()]
        else:
            headers = [
                self.tr("Site"),
                self.tr("Server"),
                self.tr("Product"),
                self.tr("Licensing Mode"),
                self.tr("Licenses"),
            ]
            rows = self._server_rows()
        text = csv_text(headers, rows)
        count = len(rows)
        self.gateway.submit(
            lambda _store: write_atomically(path, text),
            lambda _result: self._saved(path, count),
            lambda error: self._save_failed(title, path, error),
            "heavy",
        )

    def _server_rows(self) -> list[list[str]]:
        rows: list[list[str]] = []
        model = self.server_model
        root = model.invisibleRootItem()
        for e in range(root.rowCount()):
            enterprise = root.child(e, 0)
            for s in range(enterprise.rowCount()):
                site = enterprise.child(s, 0)
                for v in range(site.rowCount()):
                    server = site.child(v, 0)
                    if server.rowCount() == 0:
                        rows.append([site.text(), str(server.data(RECORD_ROLE)), "", "", ""])
                    for p in range(server.rowCount()):
                        rows.append(
                            [
                                site.text(),
                                str(server.data(RECORD_ROLE)),
                                server.child(p, 0).text(),
                                server.child(p, 1).text(),
                                server.child(p, 2).text(),
                            ]
                        )
        return rows

    def export_compliance_report(self, path: Path | None = None) -> None:
        """File -> Compliance Report: per product purchased, peak used, unlicensed, violations (HTML)."""
        if path is None:
            self._ask_path(
                self.tr("Compliance Report"),
                self.tr("HTML files (*.html)"),
                "compliance-report.html",
                self.export_compliance_report,
            )
            return
        labels = {
            "title": self.tr("License compliance report"),
            "generated": self.tr("Generated"),
            "product": self.tr("Product"),
            "mode": self.tr("Mode"),
            "purchased": self.tr("Purchased"),
            "peak": self.tr("Peak used"),
            "unlicensed": self.tr("Unlicensed"),
            "violations": self.tr("Violations"),
            "state": self.tr("Compliance"),
        }
        from applet.domain.compliance import Compliance

        for state in Compliance:
            labels[state.value] = compliance_label(state)
        server = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
        title = self.tr("Compliance Report")

        def job(store: Store) -> int:
            lines = compliance_lines(store)
            write_atomically(path, compliance_html(lines, labels, server))
            return len(lines)

        self.gateway.submit(
            job,
            lambda count: self._saved(path, count),
            lambda error: self._save_failed(title, path, error),
            "heavy",
        )

    def _saved(self, path: Path, count: int) -> None:
        self.last_saved = path
        self.statusBar().showMessage(
            self.tr("Saved %1 rows to %2").replace("%1", f"{count:,}").replace("%2", str(path)), 8000
        )

    def _save_failed(self, title: str, path: Path, error: Exception) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        messages.critical(
            self,
            title,
            self.tr("Could not save %1: %2.").replace("%1", str(path)).replace("%2", reason),
            self.tr("Nothing was written. Choose another folder and try again."),
        )

    # ------------------------------------------------------------------ help

    def show_help(self) -> None:
        """Help -> Contents: License Manager's page in the applet's help viewer."""
        from PySide6.QtCore import QUrl

        from applet.resources import resource_path
        from applet.ui.licensing.help import HelpViewer

        viewer = getattr(self, "help_viewer", None)
        if not isinstance(viewer, HelpViewer):
            viewer = HelpViewer(None)
            viewer.setWindowTitle(self.tr("License Manager Help"))
            viewer.browser.setSource(QUrl.fromLocalFile(str(resource_path("help", HELP_PAGE))))
            self.help_viewer = viewer
            self.destroyed.connect(viewer.deleteLater)
        viewer.show_topic(HELP_TOPICS[self.tabs.currentIndex()])
        self.child_dialog = viewer

    def show_about(self) -> None:
        """Help -> About."""
        messages.information(
            self,
            self.tr("About License Manager"),
            self.tr("License Manager %1").replace("%1", __version__),
            self.tr("Licensing: license-usage monitoring.\nData folder: %1").replace(
                "%1", str(self.paths.data_dir)
            ),
        )


def lls_command() -> tuple[str, list[str]]:
    """How to run ``lls``: ``python -m applet``, or the frozen ``lls`` next to a frozen GUI."""
    if getattr(sys, "frozen", False):
        name = "lls.exe" if os.name == "nt" else "lls"
        return str(Path(sys.executable).with_name(name)), []
    return sys.executable, ["-m", "applet"]


def _fill_choices(box: QComboBox, names: list[str]) -> None:
    """Keep the first ("All") item and the current choice; list ``names`` after it."""
    current = box.currentData()
    existing = [box.itemData(i) for i in range(1, box.count())]
    if existing == names:
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


def products_in_use(paths: DataPaths, user: str) -> list[str] | None:
    """The products ``user`` holds a license for right now, asked of the running service.

    Empty when the service is not running (nothing can be in use then); None when it runs but cannot
    tell (its admin token is not readable by this user, or it does not answer). Runs on a worker
    thread (network).
    """
    from applet.client.api import ServiceClient, ServiceError
    from applet.client.discovery import find_service

    endpoint = find_service(paths)
    if endpoint is None:
        return []
    try:
        with ServiceClient(endpoint, admin=True, timeout=3.0) as client:
            leases = client.call("GET", f"/v1/leases?limit={LEASES_LIMIT}")
    except ServiceError:
        return None
    if not isinstance(leases, list):
        return None
    wanted = user.casefold()
    return sorted(
        {
            str(lease.get("product"))
            for lease in leases
            if isinstance(lease, dict) and str(lease.get("user", "")).casefold() == wanted
        }
    )
