"""A product's properties: its purchases, its Per Seat clients, its servers and a usage chart."""

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from applet.store import Store
from applet.store.records import ProductRecord, SeatClientRecord
from applet.ui.manager.chart import UsagePanel
from applet.ui.manager.dialogs.base import table_view
from applet.ui.manager.gateway import StoreGateway
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.record_table import RecordTableModel
from applet.ui.manager.symbols import local_time


class ProductPropertiesDialog(QDialog):
    """A product's properties: its purchases, its Per Seat clients, its servers and a usage chart."""

    def __init__(self, gateway: StoreGateway, product: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.product = product
        self.setObjectName("product_properties_dialog")
        self.setWindowTitle(self.tr("%1 Properties").replace("%1", product))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.purchases = RecordTableModel(
            [
                Column(self.tr("Date"), lambda p: local_time(p.created)),
                Column(self.tr("Quantity"), lambda p: p.quantity, numeric=True),
                Column(self.tr("Mode"), lambda p: p.mode.label),
                Column(self.tr("Administrator"), lambda p: p.administrator),
                Column(self.tr("Comment"), lambda p: p.comment),
            ],
            parent=self,
        )
        self.clients = RecordTableModel(
            [
                Column(self.tr("User"), lambda c: c.user),
                Column(self.tr("Licensed"), lambda c: self.tr("Yes") if c.licensed else self.tr("No")),
                Column(self.tr("Uses"), lambda c: c.usage_count, numeric=True),
                Column(self.tr("Group"), lambda c: c.group or ""),
                Column(self.tr("Last Used"), lambda c: local_time(c.last_used)),
            ],
            parent=self,
        )
        self.servers = RecordTableModel(
            [
                Column(self.tr("Server"), lambda s: s[0]),
                Column(self.tr("Site"), lambda s: s[1]),
                Column(self.tr("Licensing Mode"), lambda s: s[2]),
            ],
            parent=self,
        )
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Product properties"))
        self.tabs.addTab(table_view(self.purchases, self.tr("Purchases")), self.tr("&Licenses"))
        self.tabs.addTab(table_view(self.clients, self.tr("Per Seat clients")), self.tr("&Clients"))
        self.tabs.addTab(table_view(self.servers, self.tr("Servers")), self.tr("&Server Browser"))
        self.usage = UsagePanel(gateway, product)
        self.tabs.addTab(self.usage, self.tr("&Usage"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(720, 460)
        self.loaded = False
        self.reload()
        self.usage.load()

    # Per Seat clients of one product can be many: the dialog lists the most recent ones.
    CLIENT_LIMIT = 1000

    def reload(self) -> None:
        """Read the product's purchases, clients and servers."""
        product = self.product
        limit = self.CLIENT_LIMIT

        def job(store: Store) -> tuple[ProductRecord, list[Any], list[SeatClientRecord], list[Any]]:
            record = store.products.get(product)
            history = store.ledger.history(product)
            clients = store.clients.usage(product=product, limit=limit)
            servers = [
                (server.name, server.site, record.mode.label if server.is_local else "")
                for server in store.replication.servers()
            ]
            return record, history, clients, servers

        def done(result: tuple[ProductRecord, list[Any], list[SeatClientRecord], list[Any]]) -> None:
            record, history, clients, servers = result
            self.purchases.set_records(history)
            self.clients.set_records(clients)
            self.servers.set_records(servers)
            self.summary.setText(
                self.tr("%1, licensed %3: %4 Per Server and %5 Per Seat licenses; peak %6 concurrent.")
                .replace("%1", " ".join(part for part in (record.name, record.version) if part))
                .replace("%3", record.mode.label)
                .replace("%4", f"{record.per_server_licenses:,}")
                .replace("%5", f"{record.per_seat_licenses:,}")
                .replace("%6", f"{record.peak_in_use:,}")
            )
            self.loaded = True

        def failed(error: Exception) -> None:
            self.summary.setText(" ".join(str(error).split()))
            self.loaded = True

        self.gateway.submit(job, done, failed, lane="heavy")
