"""Products View: per product what was bought, what is used, and a compliance symbol; filtered by name.
Connected to a master: per product the enterprise's totals, expandable to each server that has it."""

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QTreeView

from applet.store import Store
from applet.store.records import ProductSummary
from applet.store.reports import products_rows
from applet.ui.manager.live import connected_now
from applet.ui.manager.models.enterprise import (
    build_enterprise_products,
    products_shape,
    update_enterprise_products,
)
from applet.ui.manager.models.lazy_tree import tree_table
from applet.ui.manager.models.products import products_view_model
from applet.ui.manager.reports import manager_words
from applet.ui.manager.tabs.base import (
    ExportJob,
    ManagerTab,
    TabHost,
    filter_box,
    lay_out_page,
)


class ProductsTab(ManagerTab):
    """The Products View tab (its rows are few: held in memory, sorted and filtered in Python)."""

    key = "products"
    export_name = "products"
    help_topic = "products-view"

    def __init__(self, host: TabHost) -> None:
        super().__init__(host, self.tr("Products View"))
        self.model = products_view_model(self)
        self.view = self.table = self._table(self.model, self.tr("Products View"))
        # Connected to a master: the enterprise's products, each expandable to its servers.
        self.connected = False
        self.tree: QTreeView | None = None
        self.enterprise = build_enterprise_products([], self)
        self._tree_sized = False
        self._shape: list[tuple[str, list[str]]] = []
        self._rows: dict[str, dict[str, Any]] = {}  # the master's rows by product, for Properties
        self.view.setIconSize(self.view.iconSize())
        self.filter = filter_box(self.tr("Filter products"), self.tr("Product name"))
        lay_out_page(self.page, [self.filter], self.view, self.tr("F&ilter:"))
        self._needle = ""
        self.filter.textChanged.connect(self.apply_filter)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())

    def use_master(self, connected: bool) -> None:
        if connected and self.tree is None:
            self.tree = QTreeView()
            self.tree.setObjectName("enterprise_products")
            self.tree.setAccessibleName(self.tr("Products View of the enterprise"))
            self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self.tree.setAlternatingRowColors(True)
            self.tree.setUniformRowHeights(True)
            self.tree.setSortingEnabled(True)
            self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
            self.tree.setModel(self.enterprise)
            self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            self.tree.customContextMenuRequested.connect(lambda p: self.host.popup_context_menu(self, p))
            layout = self.page.layout()
            assert layout is not None
            layout.addWidget(self.tree)
        self.connected = connected
        self.table.setVisible(not connected)
        if self.tree is not None:
            self.tree.setVisible(connected)
        self.view = self.tree if connected and self.tree is not None else self.table
        self.status_changed.emit()

    def reload(self, live: bool = False) -> None:
        if self.connected:
            self._reload_enterprise()
            return

        def job(store: Store) -> list[ProductSummary]:
            # Compliance is the store's (the peak since the last reset); In Use is the service's.
            summaries = store.usage.summaries()
            connected = connected_now(store.paths)
            if connected is None:
                return summaries
            return [replace(s, in_use=connected.get(s.name.casefold(), 0)) for s in summaries]

        def done(summaries: list[ProductSummary]) -> None:
            self.model.set_records(summaries)
            self.data_loaded()

        self.host.gateway.submit(job, done)

    def _reload_enterprise(self) -> None:
        def done(rows: list[dict[str, Any]]) -> None:
            tree = self.tree
            assert tree is not None
            self._rows = {row["product"]: row for row in rows}
            shape = products_shape(rows)
            if shape == self._shape:
                # The same products on the same servers: new figures in place (nothing rebuilt,
                # what is expanded stays).
                update_enterprise_products(self.enterprise, rows)
                self.data_loaded()
                return
            self._shape = shape
            old, self.enterprise = self.enterprise, build_enterprise_products(rows, self)
            tree.setModel(self.enterprise)
            header = tree.header()
            self.enterprise.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
            tree.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
            old.deleteLater()
            self._hide_filtered()
            if not self._tree_sized:
                self._tree_sized = True
                for column in range(1, self.enterprise.columnCount()):
                    tree.resizeColumnToContents(column)
                # The servers' names count too, collapsed as they are at first.
                names = [node.cells[0] for node in self.enterprise.walk()]
                widest = max((tree.fontMetrics().horizontalAdvance(n) for n in names), default=0)
                tree.setColumnWidth(0, widest + 2 * tree.indentation() + tree.iconSize().width() + 48)
            self.data_loaded()

        self.host.gateway.submit_master(lambda master: master.products(), done, self.host.master_failed)

    def _hide_filtered(self) -> None:
        if self.tree is None:
            return
        root = QModelIndex()
        for row, product in enumerate(self.enterprise.root.children):
            name = product.cells[0].casefold()
            self.tree.setRowHidden(row, root, bool(self._needle) and self._needle not in name)

    def apply_filter(self) -> None:
        needle = self.filter.text().strip().casefold()
        if needle == self._needle:
            return
        self._needle = needle
        self.model.set_filter((lambda r: needle in r.name.casefold()) if needle else None)
        self._hide_filtered()
        self.status_changed.emit()

    def selected_record(self) -> Any:
        # The enterprise tree's rows are products and their servers: no local product to open.
        return None if self.connected else super().selected_record()

    def status_text(self) -> str:
        if self.connected:
            servers = {node.key for node in self.enterprise.walk() if node.kind == "server"}
            return (
                self.tr("%1 products on %2 servers of the enterprise")
                .replace("%1", f"{self.enterprise.rowCount():,}")
                .replace("%2", f"{len(servers):,}")
            )
        over = sum(1 for r in self.model.all_records() if r.compliance.value == "over-limit")
        return (
            self.tr("%1 products, %2 over the limit")
            .replace("%1", f"{self.model.rowCount():,}")
            .replace("%2", f"{over:,}")
        )

    def export_job(self) -> ExportJob:
        if self.connected:
            headers, rows = tree_table(self.enterprise)
            return lambda _store: (headers, rows)
        # The shared Products View rows (as `lls export products`), with In Use from the service.
        headers, rows = products_rows(self.model.records(), manager_words())
        return lambda _store: (headers, rows)

    def selected_product(self) -> str | None:
        if self.connected and self.tree is not None:
            # A product's row, or one of its servers' rows: that product.
            rows = self.tree.selectionModel().selectedRows()
            node = self.enterprise.node(rows[0]) if rows else None
            while node is not None and node.kind != "product":
                node = node.parent
            return str(node.key) if node is not None else None
        record = self.selected_record()
        return record.name if isinstance(record, ProductSummary) else None

    def show_properties(self) -> None:
        if not self.connected:
            super().show_properties()
            return
        from applet.ui.manager.dialogs.enterprise_product import EnterpriseProductDialog

        product = self.selected_product()
        if product:
            dialog = EnterpriseProductDialog(
                self.host.gateway, product, self._rows.get(product), self.view.window()
            )
            self.host.open_dialog(dialog)
