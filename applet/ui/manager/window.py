"""License Manager's main window: it composes the five tabs, the menus, the toolbar and the status bar.

Tabs (one module each under :mod:`applet.ui.manager.tabs`): Purchase History, Products View, Clients
(Per Seat), Server Browser, Events. Every read runs on the gateway's worker threads; the poller notices
the service's writes (about once a second) and the visible tab is refreshed, the others when they are
next shown. The window keeps showing the last data it read when the store is locked or gone, and says
so in the status bar. It asks the visible tab, never which tab it is, what Properties, Delete, Export
and the status text mean.
"""

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QTableView,
    QTabWidget,
    QTreeView,
    QWidget,
)

from applet.store.access import AdminAccess, store_access
from applet.store.identity import current_administrator
from applet.store.paths import DataPaths
from applet.store.records import ProductRecord
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.exports import Exporter
from applet.ui.manager.help import show_about, show_help_topic
from applet.ui.manager.live import LivePoller
from applet.ui.manager.menus import fill_menu_bar, make_action, make_toolbar
from applet.ui.manager.status_bar import ManagerStatusBar
from applet.ui.manager.tabs.base import ManagerTab
from applet.ui.manager.tabs.clients import ClientsTab
from applet.ui.manager.tabs.events import EventsTab
from applet.ui.manager.tabs.history import HistoryTab
from applet.ui.manager.tabs.products import ProductsTab
from applet.ui.manager.tabs.servers import ServersTab

if TYPE_CHECKING:
    from applet.client.master import MasterClient

HISTORY, PRODUCTS, CLIENTS, SERVERS, EVENTS = range(5)
SETTINGS_FILE = "license-manager.ini"
# While connected, the master is asked this often whether it answers and whether anything replicated.
MASTER_PING_MS = 5000


class ManagerWindow(QMainWindow):
    """The License Manager window.

    Args:
        paths: the store's locations (the data folder decides everything).
        poll_interval_ms: how often to look for the service's writes.
        access: whether the user may change the store (default: the rule of :mod:`applet.store.access`);
            read-only shows why above the tabs and disables every action that changes the store.

    Attributes:
        history, products, clients, servers, events: the tabs (:class:`ManagerTab`), in tab order.
        child_dialog: the dialog opened last and still open (tests and screenshots reach it here).

    Signals:
        refreshed(int): a tab finished loading fresh data (its index).
    """

    refreshed = Signal(int)

    def __init__(
        self,
        paths: DataPaths,
        poll_interval_ms: int = 1000,
        parent: QWidget | None = None,
        access: AdminAccess | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.access = access if access is not None else store_access(paths)
        self.administrator = current_administrator()
        self.gateway = StoreGateway(paths, self)
        self.poller = LivePoller(self.gateway, poll_interval_ms, self)
        self.settings = QSettings(str(paths.data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)
        self.child_dialog: QWidget | None = None
        self.setObjectName("license_manager_window")
        self.setWindowTitle(self.tr("License Manager"))
        self.setWindowIcon(icon("licensing", recolor=False))

        self.history = HistoryTab(self)
        self.products = ProductsTab(self)
        self.clients = ClientsTab(self)
        self.servers = ServersTab(self)
        self.events = EventsTab(self)
        self.tab_list: list[ManagerTab] = [
            self.history,
            self.products,
            self.clients,
            self.servers,
            self.events,
        ]
        self._stale: set[int] = set(range(len(self.tab_list)))
        self._build_tabs()
        self._build_actions()
        self.status = ManagerStatusBar(paths, self.poller, self)
        self.exporter = Exporter(self.gateway, self)
        self.gateway.failed.connect(self.show_fault)
        self.poller.changed.connect(self.store_changed)
        self.poller.fault.connect(self._poll_fault)
        self.tabs.currentChanged.connect(self._tab_shown)
        if not self.access.may_change:
            self._show_read_only()
        self.master_summary: dict[str, Any] = {}
        self.master_ping = QTimer(self)
        self.master_ping.setInterval(MASTER_PING_MS)
        self.master_ping.timeout.connect(self.ping_master)
        self._restore_settings()
        self._update_actions()

    # ------------------------------------------------------------------ construction

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("manager_tabs")
        self.tabs.setAccessibleName(self.tr("License Manager views"))
        self.tabs.setDocumentMode(True)
        for number, tab in enumerate(self.tab_list):
            self.tabs.addTab(tab.page, tab.title)
            tab.loaded.connect(lambda number=number: self._loaded(number))
            tab.status_changed.connect(lambda number=number: self._update_status(number))
            tab.selection_changed.connect(self._update_actions)
        self.setCentralWidget(self.tabs)

    def _build_actions(self) -> None:
        tr, keys, act = self.tr, QKeySequence.StandardKey, make_action
        self.export_action = act(self, tr("&Export Current Tab as CSV..."), self.export_csv, "Ctrl+E")
        self.report_action = act(
            self, tr("&Compliance Report (HTML)..."), self.export_compliance_report, "Ctrl+R"
        )
        self.new_license_action = act(self, tr("&New License..."), self.new_license, keys.New, "add")
        self.groups_action = act(self, tr("License &Groups..."), self.license_groups, "Ctrl+G")
        self.select_domain_action = act(self, tr("Select &Domain..."), self.select_domain, "Ctrl+D")
        self.properties_action = act(self, tr("&Properties"), self.show_properties, "Alt+Return", "product")
        self.delete_action = act(self, tr("&Delete"), self.delete_selected, keys.Delete, "remove")
        self.exit_action = act(self, tr("E&xit"), self.close, "Ctrl+Q")
        self.refresh_action = act(self, tr("&Refresh"), self.refresh, keys.Refresh)
        self.contents_action = act(self, tr("&Contents"), self.show_help, keys.HelpContents, "help")
        self.about_action = act(self, tr("&About License Manager"), self.show_about)
        self.tab_actions = [
            act(self, tab.title, partial(self.tabs.setCurrentIndex, index), f"Ctrl+{index + 1}")
            for index, tab in enumerate(self.tab_list)
        ]
        for action in self.tab_actions:
            action.setCheckable(True)
        edit = [self.properties_action, self.delete_action]
        self.menus = fill_menu_bar(
            self.menuBar(),
            [
                ("file", tr("&File"), [self.export_action, self.report_action]),
                (
                    "license",
                    tr("&License"),
                    [
                        self.new_license_action,
                        self.groups_action,
                        None,
                        *edit,
                        None,
                        self.select_domain_action,
                        None,
                    ],
                ),
                ("view", tr("&View"), [*self.tab_actions, None, self.refresh_action]),
                ("help", tr("&Help"), [self.contents_action, self.about_action]),
            ],
        )
        self.menus["license"].addAction(self.exit_action)
        toolbar = [self.new_license_action, *edit, self.refresh_action]
        self.addToolBar(make_toolbar(tr("Toolbar"), "manager_toolbar", toolbar))

    def _show_read_only(self) -> None:
        """Not an administrator of a machine-wide store: the line above the tabs, no action that writes."""
        from PySide6.QtWidgets import QVBoxLayout

        from applet.ui.read_only import read_only_banner

        self.read_only_banner = read_only_banner(self.access.reason)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.read_only_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(page)
        for action in (self.new_license_action, self.groups_action, self.delete_action):
            action.setEnabled(False)
        self.status.may_start = False

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
        for tab in self.tab_list:
            tab.restore_columns(self.settings.value(f"columns/{tab.key}"))
        try:
            index = int(str(self.settings.value("window/tab", PRODUCTS)))
        except (TypeError, ValueError):
            index = PRODUCTS
        self.tabs.setCurrentIndex(index if 0 <= index < self.tabs.count() else PRODUCTS)

    def save_settings(self) -> None:
        """Remember the geometry, the tab and the column widths."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        for tab in self.tab_list:
            self.settings.setValue(f"columns/{tab.key}", tab.header().saveState())
        self.settings.sync()

    # ------------------------------------------------------------------ lifecycle and refreshing

    def start(self) -> None:
        """Load the visible tab and start watching the store."""
        self._tab_shown(self.tabs.currentIndex())
        self._load_choices()
        self.poller.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.poller.stop()
        self.master_ping.stop()
        self.gateway.close()
        super().closeEvent(event)

    @property
    def current_tab(self) -> ManagerTab:
        """The visible tab."""
        return self.tab_list[self.tabs.currentIndex()]

    def refresh(self) -> None:
        """Re-read the visible tab now (View -> Refresh); the others when next shown."""
        self._stale = set(range(len(self.tab_list)))
        self.servers.forget()
        self._load_choices()
        self._tab_shown(self.tabs.currentIndex())

    def store_changed(self) -> None:
        """The store changed (the service or another program wrote): refresh what is visible."""
        self._stale = set(range(len(self.tab_list)))
        self._stale.discard(self.tabs.currentIndex())
        self.current_tab.reload(live=True)

    def _load_choices(self) -> None:
        for tab in self.tab_list:
            tab.load_choices()

    def _tab_shown(self, index: int) -> None:
        for number, action in enumerate(getattr(self, "tab_actions", [])):
            action.setChecked(number == index)
        if index in self._stale:
            self._stale.discard(index)
            self.tab_list[index].reload()
        self._update_status(index)
        self._update_actions()

    def apply_filters(self) -> None:
        """Hand the filters to the models; each asks the store for its first page again if it changed."""
        for tab in self.tab_list:
            tab.apply_filter()

    def _loaded(self, index: int) -> None:
        if index == self.tabs.currentIndex():
            self._update_status(index)
        self.refreshed.emit(index)

    def _update_status(self, index: int) -> None:
        if index == self.tabs.currentIndex():
            self.status.text.setText(self.tab_list[index].status_text())

    # ------------------------------------------------------------------ faults

    def show_fault(self, message: str) -> None:
        """Say in the status bar that the store could not be read (the data shown stays)."""
        self.status.show_fault(message)

    def _poll_fault(self, message: str) -> None:
        if message:
            self.status.show_fault(message)
        else:
            self.status.clear_fault()
            self.refresh()

    def show_master_fault(self, message: str) -> None:
        """The master could not be read: the status bar says so (the data shown stays)."""
        master = self.gateway.master
        if master is not None:
            self.status.show_master(master.name, False, message)

    def master_failed(self, error: Exception) -> None:
        """A read from the master failed (see :meth:`show_master_fault`)."""
        self.show_master_fault(" ".join(str(error).split()))

    # ------------------------------------------------------------------ the enterprise

    def select_domain(self) -> None:
        """License -> Select Domain...: a master to show the enterprise from, or this computer."""
        from applet.ui.manager.dialogs.select_domain import SelectDomainDialog

        master = self.gateway.master
        dialog = SelectDomainDialog(
            self.gateway,
            master.name if master is not None else str(self.settings.value("master/address", "")),
            str(self.settings.value("master/token_file", "")),
            str(self.settings.value("master/certificate", "")),
            self,
        )
        dialog.connected.connect(self.use_master)
        dialog.local_chosen.connect(self.use_local_store)
        self.open_dialog(dialog)

    def connect_master(self, address: str, token_file: str, certificate: str | None = None) -> None:
        """``license-manager --master``: connect when the master answers; else say why and stay local."""
        from applet.client.master import MasterClient, RemoteError
        from applet.domain.errors import InvalidInput

        title = self.tr("Select Domain")
        try:
            client = MasterClient(address, token_file, certificate=certificate)
        except (InvalidInput, RemoteError) as error:
            messages.critical(self, title, " ".join(str(error).split()))
            return
        self.status.show_master(client.name, True, self.tr("connecting..."))

        def failed(error: Exception) -> None:
            client.close()
            self.status.show_master("", False)
            messages.critical(
                self,
                title,
                " ".join(str(error).split()),
                self.tr("License Manager shows this computer's licenses."),
            )

        self.gateway.probe_master(client, lambda summary: self.use_master(client, summary), failed)

    def use_master(self, client: "MasterClient", summary: dict[str, Any]) -> None:
        """Show the enterprise from ``client``'s master (it answered with ``summary``)."""
        self.gateway.connect_master(client)
        self.master_summary = summary
        self.settings.setValue("master/address", client.name)
        self.settings.setValue("master/token_file", str(client.token_file))
        certificate = client.endpoint.tls_cert_file
        self.settings.setValue("master/certificate", str(certificate) if certificate else "")
        for tab in self.tab_list:
            tab.use_master(True)
        self._show_master_state(True)
        self.master_ping.start()
        self.refresh()

    def use_local_store(self) -> None:
        """Show this computer's store again (no master)."""
        if self.gateway.master is None:
            return
        self.master_ping.stop()
        self.gateway.connect_master(None)
        self.master_summary = {}
        for tab in self.tab_list:
            tab.use_master(False)
        self._show_master_state(True)
        self.refresh()

    def _show_master_state(self, answering: bool, detail: str = "") -> None:
        master = self.gateway.master
        if master is None:
            self.setWindowTitle(self.tr("License Manager"))
            self.status.show_master("", True)
            return
        name = str(self.master_summary.get("master") or master.name)
        self.setWindowTitle(
            self.tr("License Manager - Enterprise of master %1 (%2)")
            .replace("%1", name)
            .replace("%2", master.name)
        )
        self.status.show_master(master.name, answering, detail)

    def ping_master(self) -> None:
        """Ask the master whether it answers; when something replicated since, re-read what is shown."""
        master = self.gateway.master
        if master is None:
            return

        def done(summary: dict[str, Any]) -> None:
            changed = {k: summary.get(k) for k in ("servers", "batches", "last_replication")} != {
                k: self.master_summary.get(k) for k in ("servers", "batches", "last_replication")
            }
            self.master_summary = summary
            self._show_master_state(True)
            if changed:
                self.store_changed()

        def failed(error: Exception) -> None:
            self._show_master_state(False, " ".join(str(error).split()))

        self.gateway.submit_master(lambda client: client.summary(), done, failed)

    def show_status_message(self, text: str, milliseconds: int = 5000) -> None:
        """A passing message in the status bar."""
        self.statusBar().showMessage(text, milliseconds)

    # ------------------------------------------------------------------ selection and actions

    def current_view(self) -> QTableView | QTreeView:
        """The view of the visible tab."""
        return self.current_tab.view

    def selected_record(self) -> object:
        """The record of the selected row of the visible tab (None when nothing is selected)."""
        return self.current_tab.selected_record()

    def _update_actions(self, *_args: object) -> None:
        tab = self.current_tab
        self.delete_action.setEnabled(self.access.may_change and tab.can_delete())
        self.properties_action.setEnabled(tab.can_show_properties())

    def open_dialog(self, dialog: QWidget) -> None:
        """Open ``dialog`` (deleted when closed) and keep it as :attr:`child_dialog` while it is open."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.child_dialog = dialog

        def gone() -> None:
            if self.child_dialog is dialog:
                self.child_dialog = None

        dialog.destroyed.connect(gone)
        dialog.open()  # type: ignore[attr-defined]

    def new_license(self) -> None:
        """License -> New License...: the New Client Access License dialog."""
        from applet.ui.manager.dialogs.new_license import NewLicenseDialog

        preset = self.current_tab.selected_product()
        if self.gateway.master is not None:
            self.new_enterprise_license(preset)
            return

        def done(products: list[ProductRecord]) -> None:
            if not products:
                messages.information(self, self.tr("New License"), self.tr("No product is registered yet."))
                return
            dialog = NewLicenseDialog(self.gateway, products, preset, self)
            dialog.added.connect(lambda _purchase: self.refresh())
            self.open_dialog(dialog)

        self.gateway.submit(lambda store: store.products.list(), done)

    def new_enterprise_license(self, preset: str | None) -> None:
        """New License connected to a master: Per Seat for the enterprise, Per Server on a chosen server."""
        from applet.ui.manager.dialogs.new_license import EnterpriseNewLicenseDialog

        master = self.gateway.master
        assert master is not None

        def done(views: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
            products, servers = views
            if not products:
                messages.information(
                    self, self.tr("New License"), self.tr("No product is reported in the enterprise yet.")
                )
                return
            name = str(self.master_summary.get("master") or master.name)
            dialog = EnterpriseNewLicenseDialog(
                self.gateway, products, servers, name, self.settings, preset, self
            )
            dialog.added.connect(lambda _purchase: self.refresh())
            self.open_dialog(dialog)

        self.gateway.submit_master(
            lambda client: (client.products(), client.servers()), done, self.master_failed
        )

    def license_groups(self) -> None:
        """License -> License Groups...."""
        from applet.ui.manager.dialogs.license_groups import LicenseGroupsDialog

        dialog = LicenseGroupsDialog(self.gateway, self)
        dialog.changed.connect(self.refresh)
        self.open_dialog(dialog)

    def show_properties(self) -> None:
        """License -> Properties: of the selected product or client."""
        self.current_tab.show_properties()

    def delete_selected(self) -> None:
        """License -> Delete: the selected client, after confirmation."""
        self.current_tab.delete_selected()

    def context_menu_for(self, view: QTableView | QTreeView, point: QPoint) -> QMenu:
        """The right-click menu of a view at ``point`` (the row there is selected first)."""
        tab = next(tab for tab in self.tab_list if tab.view is view)
        index = view.indexAt(point)
        if index.isValid():
            view.setCurrentIndex(index)
            if isinstance(view, QTableView):
                view.selectRow(index.row())
        menu = QMenu(view)
        if not tab.context_actions(menu):
            menu.addAction(self.properties_action)
            if tab.deletes_records:
                menu.addAction(self.delete_action)
        menu.addSeparator()
        menu.addActions([self.new_license_action, self.refresh_action])
        return menu

    def popup_context_menu(self, tab: ManagerTab, point: QPoint) -> None:
        """Show ``tab``'s right-click menu at ``point`` of its view."""
        menu = self.context_menu_for(tab.view, point)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(tab.view.viewport().mapToGlobal(point))

    # ------------------------------------------------------------------ files

    def export_csv(self, path: Path | None = None) -> None:
        """File -> Export Current Tab as CSV: every row of the tab's filter, not only those loaded."""
        self.exporter.export_csv(self.current_tab, path)

    def export_compliance_report(self, path: Path | None = None) -> None:
        """File -> Compliance Report: per product purchased, peak used, unlicensed, violations (HTML)."""
        self.exporter.export_compliance_report(path)

    # ------------------------------------------------------------------ help

    def show_help(self) -> None:
        """Help -> Contents: License Manager's page in the applet's help viewer, at the visible tab."""
        self.help_viewer = show_help_topic(
            getattr(self, "help_viewer", None), self.current_tab.help_topic, self
        )
        self.child_dialog = self.help_viewer

    def show_about(self) -> None:
        """Help -> About."""
        show_about(self, self.paths)
