"""A product's properties while License Manager is connected to a master: the enterprise's figures, its
usage chart with a per-server breakdown, and every server that has the product.

The chart (:class:`EnterpriseUsagePanel`, the local :class:`~applet.ui.manager.chart.UsagePanel` reading
from the master) draws the enterprise's use filled, and over it a line for each of the
:data:`TOP_SERVERS` servers with the highest peak, named in the legend: readable with a thousand
servers, where a line each would not be. Any one server can be chosen instead (Server box, or
double-clicking it in the Servers tab): then the chart is that server's alone, against its licenses.
Everything is read on the master's heavy lane; a master that stops answering is one line beside the
range and the dialog keeps what it showed.
"""

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from applet.ui.gateway import StoreGateway
from applet.ui.manager.chart import ChartData, ChartRange, ChartSeries, UsagePanel
from applet.ui.manager.dialogs.base import table_view
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.enterprise import mode_label
from applet.ui.manager.models.record_table import RecordTableModel

TOP_SERVERS = 5


def _points(rows: list[list[int]] | None) -> tuple[tuple[int, int], ...]:
    return tuple((int(minute), int(value)) for minute, value in rows or ())


class EnterpriseUsagePanel(UsagePanel):
    """The usage chart of one product over the enterprise, or over one server of it.

    Signals:
        answered(dict): the master's answer (:func:`applet.store.enterprise.usage.product_usage`).
    """

    answered = Signal(dict)

    def __init__(self, gateway: StoreGateway, product: str, parent: QWidget | None = None) -> None:
        super().__init__(gateway, product, parent)
        self.server_box = QComboBox()
        self.server_box.setAccessibleName(self.tr("Server"))
        self.server_box.addItem(self.tr("All servers"), None)
        self.server_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        server_label = QLabel(self.tr("S&erver:"))
        server_label.setBuddy(self.server_box)
        self.controls.insertWidget(2, server_label)
        self.controls.insertWidget(3, self.server_box)
        self.status.setObjectName("usage_status")
        self.status.setStyleSheet("color: #c62828;")
        self.server_box.currentIndexChanged.connect(self.load)

    @property
    def server(self) -> str | None:
        """The server chosen (None: the whole enterprise)."""
        data = self.server_box.currentData()
        return str(data) if data else None

    def choose_server(self, server: str | None) -> None:
        """Show ``server`` alone (None: the enterprise)."""
        found = self.server_box.findData(server) if server else 0
        self.server_box.setCurrentIndex(max(0, found))

    def read(self, chart_range: ChartRange, start: int, end: int, done: Any, failed: Any) -> None:
        product, server, top = self._product, self.server, TOP_SERVERS
        enterprise = self.tr("Enterprise")

        def job(master: Any) -> dict[str, Any]:
            answer: dict[str, Any] = master.product_usage(
                product, start, end, chart_range.bucket, server, top
            )
            return answer

        def chart(answer: dict[str, Any]) -> None:
            self._fill_servers(answer)
            if answer["server"] is None:
                series = tuple(
                    ChartSeries(entry["server"], _points(entry["points"]))
                    for entry in answer["servers"]
                    if entry["points"] is not None
                )
                label = enterprise
            else:
                series, label = (), ""
            data = ChartData(
                _points(answer["total"]),
                int(answer["limit"]),
                start,
                end,
                int(answer["bucket"]),
                series,
                label,
            )
            done(data)
            self.answered.emit(answer)

        self._gateway.submit_master(job, chart, failed, lane="heavy")

    def _fill_servers(self, answer: dict[str, Any]) -> None:
        """The Server box lists every server of the enterprise's answer (once, sorted by name)."""
        if answer["server"] is not None or self.server_box.count() > 1:
            return  # one server's answer, or listed already
        names = sorted((entry["server"] for entry in answer["servers"]), key=str.casefold)
        self.server_box.blockSignals(True)
        for name in names:
            self.server_box.addItem(name, name)
        self.server_box.blockSignals(False)


class EnterpriseProductDialog(QDialog):
    """A product across the enterprise: its totals, its usage chart and the servers that have it."""

    def __init__(
        self,
        gateway: StoreGateway,
        product: str,
        totals: dict[str, Any] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.product = product
        self.setObjectName("enterprise_product_dialog")
        self.setWindowTitle(self.tr("%1 Properties").replace("%1", product))
        self.summary = QLabel(self._summary_text(product, totals))
        self.summary.setObjectName("enterprise_product_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.servers = RecordTableModel(
            [
                Column(self.tr("Server"), lambda s: s["server"]),
                Column(self.tr("Licensing Mode"), lambda s: mode_label(s["mode"]) if s["mode"] else ""),
                Column(self.tr("Licenses"), lambda s: s["licenses"], numeric=True),
                Column(
                    self.tr("Peak"),
                    lambda s: s["peak"],
                    numeric=True,
                    tooltip=self.tr("Since the last reset"),
                ),
                Column(
                    self.tr("Peak in Range"),
                    lambda s: max((v for _, v in s["points"]), default=0) if s["points"] is not None else "",
                    numeric=True,
                    tooltip=self.tr("The chart's servers: the most at once in the range shown"),
                ),
            ],
            parent=self,
        )
        self.usage = EnterpriseUsagePanel(gateway, product)
        self.usage.answered.connect(self._show_servers)
        self.servers_view = table_view(self.servers, self.tr("Servers that have the product"))
        self.servers_view.doubleClicked.connect(self._chart_server)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Product properties"))
        self.tabs.addTab(self.usage, self.tr("&Usage"))
        self.tabs.addTab(self.servers_view, self.tr("&Servers"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(760, 480)
        self.usage.load()

    @property
    def loaded(self) -> bool:
        """True once the chart has its answer (or says why not)."""
        return self.usage.loaded

    def _summary_text(self, product: str, totals: dict[str, Any] | None) -> str:
        """The enterprise's figures of the modes the product is licensed in (as Products View shows them)."""
        if totals is None:
            return self.tr("%1 across the enterprise.").replace("%1", product)
        servers = totals["servers"]
        per_server = sum(1 for s in servers if s["mode"] == "per-server")
        parts = [
            self.tr("%1 across the enterprise, on %2 servers.")
            .replace("%1", product)
            .replace("%2", f"{len(servers):,}")
        ]
        if per_server:
            parts.append(
                self.tr("Per Server on %1: concurrent connections purchased %2, peaks together %3.")
                .replace("%1", f"{per_server:,}")
                .replace("%2", f"{totals['per_server_purchased']:,}")
                .replace("%3", f"{totals['per_server_peak']:,}")
            )
        if per_server < len(servers) or totals["per_seat_purchased"] or totals["per_seat_allocated"]:
            parts.append(
                self.tr("Per Seat pool: purchased %1, allocated %2, unlicensed clients %3.")
                .replace("%1", f"{totals['per_seat_purchased']:,}")
                .replace("%2", f"{totals['per_seat_allocated']:,}")
                .replace("%3", f"{totals['per_seat_unlicensed']:,}")
            )
        return " ".join(parts)

    def _show_servers(self, answer: dict[str, Any]) -> None:
        if answer["server"] is None:
            self.servers.set_records(answer["servers"])

    def _chart_server(self, index: QModelIndex) -> None:
        record = self.servers.record(index.row())
        self.usage.choose_server(record["server"])
        self.tabs.setCurrentWidget(self.usage)
