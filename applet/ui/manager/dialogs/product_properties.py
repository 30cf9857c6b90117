"""A product's properties: its compliance, purchases, Per Seat clients, servers and a usage chart."""

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.records import ProductRecord, ProductSummary, SeatClientRecord
from applet.ui.gateway import StoreGateway
from applet.ui.manager.chart import UsagePanel
from applet.ui.manager.dialogs.base import table_view
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.products import compliance_label
from applet.ui.manager.models.record_table import RecordTableModel
from applet.ui.manager.symbols import compliance_icon, local_time

# What the dialog reads: the product, its Products View row, purchases, Per Seat clients, servers.
Loaded = tuple[ProductRecord, ProductSummary, list[Any], list[SeatClientRecord], list[Any]]


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
        # The compliance first, with its symbol: the same judgement as Products View.
        self.compliance_symbol = QLabel()
        self.compliance = QLabel()
        self.compliance.setObjectName("product_compliance")
        self.compliance.setStyleSheet("font-weight: bold;")
        state = QHBoxLayout()
        state.addWidget(self.compliance_symbol)
        state.addWidget(self.compliance)
        state.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(state)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(720, 460)
        self.loaded = False
        self.reload()
        self.usage.load()

    def _summary_text(self, record: ProductRecord, summary: ProductSummary) -> str:
        """The figures of the product's own mode, as Products View shows them."""
        name = " ".join(part for part in (record.name, record.version) if part)
        if summary.mode is LicenseMode.PER_SEAT:
            text = self.tr(
                "%1, licensed Per Seat. Licenses purchased: %2; allocated: %3; unlicensed clients: %4."
            )
            figures = (summary.per_seat_purchased, summary.per_seat_allocated, summary.per_seat_unlicensed)
        else:
            text = self.tr(
                "%1, licensed Per Server. Concurrent connections purchased: %2; the most at once since the "
                "last reset: %3."
            )
            figures = (summary.per_server_purchased, summary.per_server_reached, 0)
        for number, figure in enumerate(figures, start=2):
            text = text.replace(f"%{number}", f"{figure:,}")
        return text.replace("%1", name)

    # Per Seat clients of one product can be many: the dialog lists the most recent ones.
    CLIENT_LIMIT = 1000

    def reload(self) -> None:
        """Read the product's purchases, clients and servers."""
        product = self.product
        limit = self.CLIENT_LIMIT

        def job(
            store: Store,
        ) -> Loaded:
            record = store.products.get(product)
            summary = store.usage.summaries(product)[0]
            history = store.ledger.history(product)
            clients = store.clients.usage(product=product, limit=limit)
            servers = [
                (server.name, server.site, record.mode.label if server.is_local else "")
                for server in store.replication.servers()
            ]
            return record, summary, history, clients, servers

        def done(
            result: Loaded,
        ) -> None:
            record, summary, history, clients, servers = result
            self.purchases.set_records(history)
            self.clients.set_records(clients)
            self.servers.set_records(servers)
            self.summary.setText(self._summary_text(record, summary))
            self.compliance.setText(compliance_label(summary.compliance))
            self.compliance_symbol.setPixmap(compliance_icon(summary.compliance).pixmap(24, 24))
            # Lay out the new texts now, not at the next event: what is shown (or grabbed) next fits them.
            layout = self.layout()
            if layout is not None:
                layout.activate()
            self.loaded = True

        def failed(error: Exception) -> None:
            self.summary.setText(" ".join(str(error).split()))
            self.loaded = True

        self.gateway.submit(job, done, failed, lane="heavy")
