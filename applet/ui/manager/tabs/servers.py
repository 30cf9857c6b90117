"""Server Browser: enterprise -> site -> server -> products; a product opens Choose Licensing Mode, a
server the Replication dialog (both the Licensing applet's).

Connected to a master: enterprise -> domain -> every server of the enterprise, each with its replication
state and last replication (stale ones marked), its products (with their modes' icons) read from the
master when the server is expanded. A product opens Choose Licensing Mode on that server, a server its
Server Properties (Properties, the context menu, Enter or a double-click), which the tab keeps up to date
with what the master says of the server."""

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMenu, QTreeView, QVBoxLayout

from applet.store import Store
from applet.store.records import ProductRecord
from applet.store.reports import TabFilter, servers_table
from applet.ui.icons import icon
from applet.ui.manager.models.columns import ITEM_KIND_ROLE, RECORD_ROLE
from applet.ui.manager.models.enterprise import (
    EnterpriseTree,
    build_enterprise_servers,
    reading_placeholder,
    server_product_nodes,
    update_server_states,
)
from applet.ui.manager.models.lazy_tree import LazyTreeModel, TreeNode, tree_table
from applet.ui.manager.models.server_tree import build_server_tree
from applet.ui.manager.reports import manager_words
from applet.ui.manager.tabs.base import ExportJob, ManagerTab, TabHost


class ServersTab(ManagerTab):
    """The Server Browser tab.

    :meth:`selected_record` is ``(kind, name)`` of the current item: ``("product", name)``,
    ``("server", name)``, ``("site", None)``...
    """

    view: QTreeView  # the tree, not the table of the other tabs
    key = "servers"
    export_name = "servers"
    help_topic = "server-browser"

    def __init__(self, host: TabHost) -> None:
        super().__init__(host, self.tr("Server Browser"))
        self.view = QTreeView()
        self.view.setObjectName("server_browser")
        self.view.setAccessibleName(self.tr("Server Browser"))
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setUniformRowHeights(True)
        # Sorted only once a header is clicked: until then the store's order (this server first).
        header = self.view.header()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(False)
        header.sectionClicked.connect(self._header_clicked)
        self._sorted_by: tuple[int, Qt.SortOrder] | None = None
        self.model: QStandardItemModel | EnterpriseTree = build_server_tree([], [], self)
        self._show_model(self.model)
        self.view.doubleClicked.connect(self._item_activated)
        self.view.activated.connect(self._item_activated)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(lambda point: host.popup_context_menu(self, point))
        self._signature: object = None
        # Connected to a master: the enterprise's servers (:meth:`use_master`).
        self.connected = False
        self._servers: list[dict[str, Any]] = []
        self._properties: dict[str, Any] = {}  # server name (casefolded) -> its open Server Properties
        self.hint = QLabel(self.tr("Double-click a product to choose its licensing mode."))
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)

    def _show_model(self, model: QStandardItemModel | EnterpriseTree) -> None:
        self.view.setModel(model)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        if self._sorted_by is not None:
            model.sort(*self._sorted_by)

    def _header_clicked(self, column: int) -> None:
        """Sort every level by ``column``: ascending first, the other way when clicked again."""
        order = Qt.SortOrder.AscendingOrder
        if self._sorted_by == (column, Qt.SortOrder.AscendingOrder):
            order = Qt.SortOrder.DescendingOrder
        self._sorted_by = (column, order)
        header = self.view.header()
        header.setSortIndicatorShown(True)
        header.setSortIndicator(column, order)
        self.model.sort(column, order)

    def use_master(self, connected: bool) -> None:
        self.connected = connected
        self._signature = None
        self.hint.setText(
            self.tr(
                "Expand a server to read its products; double-click a product to choose its licensing "
                "mode on that server, a server for its properties."
            )
            if connected
            else self.tr("Double-click a product to choose its licensing mode.")
        )

    def _reload_enterprise(self) -> None:
        def job(master: Any) -> tuple[str, list[dict[str, Any]]]:
            return str(master.summary()["master"]), master.servers()

        def done(result: tuple[str, list[dict[str, Any]]]) -> None:
            name, servers = result
            if not self.connected:
                return
            signature = (name, tuple((server["name"], server["domain"]) for server in servers))
            if signature == self._signature:
                # The same servers: only their states and times moved (a server replicated). Update
                # those cells in place, so the tree keeps what is expanded and nothing is rebuilt.
                if isinstance(self.model, EnterpriseTree):
                    update_server_states(self.model, self._servers, servers)
                self._servers = servers
            else:
                self._signature = signature
                self._servers = servers
                old = self.model
                tree = build_enterprise_servers(servers, name, self)
                tree.loader = self._read_products
                self.model = tree
                self._show_model(self.model)
                # The enterprise and its domains in sight; a domain's servers when it is expanded.
                self.view.expand(self.model.index(0, 0))
                self.view.resizeColumnToContents(0)
                old.deleteLater()
            rows = {str(server["name"]).casefold(): server for server in servers}
            for key, dialog in self._properties.items():
                dialog.show_master_row(rows.get(key))
            self.data_loaded()

        self.host.gateway.submit_master(job, done, self.host.master_failed)

    def _read_products(self, model: LazyTreeModel, node: TreeNode) -> None:
        """A server was expanded the first time (the model's ``fetchMore``): read its products from the
        master; meanwhile a row says so, and if they cannot be read, why (expanding again retries)."""
        server = str(node.key)
        model.set_children(node, [reading_placeholder(self.tr("Reading the products..."))])
        node.loading = True

        def done(products: list[dict[str, Any]]) -> None:
            if self.model is model:
                assert isinstance(model, EnterpriseTree)
                model.set_children(node, server_product_nodes(model, products))
                for column in range(3):
                    self.view.resizeColumnToContents(column)

        def failed(error: Exception) -> None:
            if self.model is model:
                reason = " ".join(str(error).split())
                model.set_children(
                    node, [reading_placeholder(self.tr("Cannot read the products: %1").replace("%1", reason))]
                )
                model.retry_later(node)
            self.host.master_failed(error)

        self.host.gateway.submit_master(lambda master: master.server_products(server), done, failed)

    def reload(self, live: bool = False) -> None:
        if self.connected:
            self._reload_enterprise()
            return

        def job(store: Store) -> tuple[list[Any], list[ProductRecord]]:
            return store.replication.servers(), store.products.list()

        def done(result: tuple[list[Any], list[ProductRecord]]) -> None:
            servers, products = result
            signature = (
                tuple(servers),
                tuple((p.name, p.mode, p.concurrent_limit, p.per_seat_licenses) for p in products),
            )
            if signature != self._signature:
                self._signature = signature
                old = self.model
                self.model = build_server_tree(servers, products, self)
                self._show_model(self.model)
                self.view.expandAll()
                self.view.resizeColumnToContents(0)
                old.deleteLater()
            self.data_loaded()

        self.host.gateway.submit(job, done)

    def forget(self) -> None:
        """Rebuild the tree on the next reload even when nothing seems to have changed (View -> Refresh)."""
        self._signature = None

    def status_text(self) -> str:
        if not self.connected:
            return ""
        stale = sum(1 for server in self._servers if server.get("stale"))
        return (
            self.tr("%1 servers in the enterprise, %2 stale")
            .replace("%1", f"{len(self._servers):,}")
            .replace("%2", f"{stale:,}")
        )

    def export_job(self) -> ExportJob:
        if self.connected:
            headers, rows = tree_table(self.model)
            return lambda _store: (headers, rows)
        # The shared Server Browser rows (as `lls export servers`), read from the store.
        words = manager_words()
        return lambda store: servers_table(store, TabFilter(), words)

    def selected_record(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        first = index.sibling(index.row(), 0)
        return (first.data(ITEM_KIND_ROLE), first.data(RECORD_ROLE))

    def selected_product(self) -> str | None:
        record = self.selected_record()
        return str(record[1]) if record is not None and record[0] == "product" else None

    def can_show_properties(self) -> bool:
        if self.connected:
            record = self.selected_record()
            return record is not None and record[0] == "server"
        return super().can_show_properties()

    def show_properties(self) -> None:
        record = self.selected_record()
        if self.connected and record is not None and record[0] == "server":
            self.server_properties(str(record[1]))
            return
        product = self.selected_product()
        if product and not self.connected:
            self.choose_licensing_mode(product)

    def context_actions(self, menu: QMenu) -> bool:
        record = self.selected_record()
        if record is None:
            return False
        if self.connected:
            # A server: the window's Properties (Server Properties); nothing local for the enterprise.
            return bool(record[0] != "server")
        kind, name = record
        if kind == "product":
            menu.addAction(
                self.tr("Choose &Licensing Mode..."), lambda: self.choose_licensing_mode(str(name))
            )
        elif kind == "server":
            replication = menu.addAction(icon("replication"), self.tr("&Replication..."), self.replication)
            replication.setEnabled(self.host.access.may_change)  # the dialog changes the store
        return True

    def _item_activated(self, index: QModelIndex) -> None:
        first = index.sibling(index.row(), 0)
        if first.data(ITEM_KIND_ROLE) == "server" and self.connected:
            self.server_properties(str(first.data(RECORD_ROLE)))
            return
        if first.data(ITEM_KIND_ROLE) == "product" and self.connected:
            server = first.parent()
            if server.data(ITEM_KIND_ROLE) == "server":
                self.choose_remote_mode(str(server.data(RECORD_ROLE)), str(first.data(RECORD_ROLE)))
            return
        if first.data(ITEM_KIND_ROLE) == "product":
            self.choose_licensing_mode(str(first.data(RECORD_ROLE)))

    def choose_remote_mode(self, server: str, product: str) -> None:
        """Choose Licensing Mode for ``product`` on another ``server``, written to that server's API."""
        from applet.ui.manager.dialogs.remote_mode import choose_remote_mode

        def committed() -> None:
            self.host.show_status_message(
                self.tr("%1 on %2 was changed; the master shows it after the server's next replication.")
                .replace("%1", product)
                .replace("%2", server)
            )

        settings = getattr(self.host, "settings", None)
        choose_remote_mode(
            self.view.window(), self.host.gateway, server, product, settings, self.host.administrator,
            self.host.open_dialog, committed,
        )  # fmt: skip

    def server_properties(self, server: str) -> None:
        """Server Properties of another ``server`` (one window per server: opening it again raises it)."""
        from applet.ui.manager.dialogs.server_properties import ServerPropertiesDialog

        key = server.casefold()
        if key in self._properties:
            self._properties[key].raise_()
            self._properties[key].activateWindow()
            return
        settings = getattr(self.host, "settings", None)
        dialog = ServerPropertiesDialog(self.host.gateway, server, settings, self.view.window())
        self._properties[key] = dialog
        dialog.finished.connect(lambda _result: self._properties.pop(key, None))
        dialog.committed.connect(
            lambda: self.host.show_status_message(
                self.tr("The replication settings of %1 were changed.").replace("%1", server)
            )
        )
        self.host.open_dialog(dialog)

    def replication(self) -> None:
        """Server -> Replication...: the applet's Configure Replication dialog, on the window's gateway."""
        from applet.ui.licensing.replication import ReplicationDialog

        self.host.open_dialog(ReplicationDialog(self.host.gateway, self.view.window()))

    def choose_licensing_mode(self, product: str) -> None:
        """Open the applet's Choose Licensing Mode dialog for ``product``, on the window's gateway."""
        from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog

        dialog = ChooseLicensingModeDialog(
            self.host.gateway,
            self.view.window(),
            product=product,
            only_product=True,
            administrator=self.host.administrator,
            access=self.host.access,
        )
        dialog.committed.connect(self.host.refresh)
        self.host.open_dialog(dialog)
