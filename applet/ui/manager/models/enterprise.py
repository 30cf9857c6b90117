"""The models of License Manager's tabs while it is connected to a master: the whole enterprise.

Rows are the master's JSON documents (:mod:`applet.store.enterprise.views` describes them), read through
the gateway's master lane (:meth:`applet.ui.gateway.StoreGateway.submit_master`):

* :class:`EnterpriseHistoryModel` and :class:`EnterpriseClientsModel` page like the local ones (sorted
  and filtered by the master's SQL), with a Server column and the servers used;
* :func:`build_enterprise_products`: Products View as a tree, enterprise totals per product and one
  child per server that has it;
* :func:`build_enterprise_servers`: Server Browser, enterprise -> domain -> server -> products; a server
  shows its state and last replication (a stale one marked) and has its products read when expanded.
"""

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle

from applet.domain.errors import InvalidInput
from applet.domain.products import LicenseMode
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.models.columns import ITEM_KIND_ROLE, RECORD_ROLE, SORT_ROLE, Column, Translator
from applet.ui.manager.models.paged import CountQuery, PagedTableModel, PageQuery
from applet.ui.manager.models.server_tree import make_read_only, mode_icon
from applet.ui.manager.symbols import local_time

# A server item's products have not been read yet: its one child is this placeholder.
PLACEHOLDER = "placeholder"
STALE_COLOUR = QColor("#c62828")


def mode_label(mode: str) -> str:
    """ "Per Server" or "Per Seat" for the master's ``per-server``/``per-seat``."""
    try:
        return LicenseMode.parse(mode).label
    except InvalidInput:  # a mode this program does not know: show it as the master sent it
        return mode


class _MasterPagedModel(PagedTableModel):
    """A paged model whose pages come from the connected master."""

    def run_job(
        self, job: Callable[[Any], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]
    ) -> None:
        self.gateway.submit_master(job, done, failed)

    def run_count(self, job: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        # Counting a million users takes the master seconds: on its own lane and connection.
        self.gateway.submit_master(job, done, lambda error: None, lane="heavy")


class EnterpriseHistoryModel(_MasterPagedModel):
    """Purchase History of every server, with the server that recorded each line."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("Date"), lambda r: local_time(r["created"]), "date"),
            Column(self.tr("Server"), lambda r: r["server"], "server"),
            Column(self.tr("Product"), lambda r: r["product"], "product"),
            Column(
                self.tr("Quantity"),
                lambda r: r["quantity"],
                "quantity",
                numeric=True,
                tooltip=self.tr("Negative for removed licenses"),
            ),
            Column(self.tr("Mode"), lambda r: mode_label(r["mode"]), "mode"),
            Column(self.tr("Administrator"), lambda r: r["administrator"], "administrator"),
            Column(self.tr("Comment"), lambda r: r["comment"], "comment"),
        ]
        self.text_filter = ""
        self.product_filter: str | None = None

    def default_sort(self) -> tuple[int, bool]:
        return (0, True)

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        text = self.text_filter
        return lambda master, offset, limit: master.purchases(
            sort_key, descending, text, None, offset, limit
        )["rows"]

    def count_query(self) -> CountQuery:
        text = self.text_filter
        return lambda master: int(master.purchases(text=text, limit=1, count=True)["total"])


class EnterpriseClientsModel(_MasterPagedModel):
    """Clients (Per Seat) of the enterprise: one row per user, with the servers used."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("User"), lambda r: r["user"], "user"),
            Column(self.tr("Licensed Usage"), lambda r: r["licensed_usage"], "licensed", numeric=True),
            Column(self.tr("Unlicensed Usage"), lambda r: r["unlicensed_usage"], "unlicensed", numeric=True),
            Column(self.tr("Products"), lambda r: ", ".join(r["products"]), "products"),
            Column(self.tr("Servers"), lambda r: ", ".join(r["servers"]), "servers"),
            Column(self.tr("Last Used"), lambda r: local_time(r["last_used"]), "last_used"),
        ]
        self.text_filter = ""
        self.product_filter: str | None = None

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        text = self.text_filter
        return lambda master, offset, limit: master.clients(sort_key, descending, text, offset, limit)["rows"]

    def count_query(self) -> CountQuery:
        text = self.text_filter
        return lambda master: int(master.clients(text=text, limit=1, count=True)["total"])


def _standard_icon(pixmap: QStyle.StandardPixmap) -> QIcon:
    """One of the style's own symbols (a warning sign, a folder) for what the project has no icon of."""
    return QApplication.style().standardIcon(pixmap)


def _cell(text: str, sort_value: object = None, numeric: bool = False) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text.casefold() if sort_value is None else sort_value, SORT_ROLE)
    if numeric:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _number(value: int) -> QStandardItem:
    return _cell(f"{value:,}", value, numeric=True)


PRODUCT_COLUMNS = 6


def products_shape(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """What decides the Products View tree's rows: each product and the servers that have it."""
    return [(row["product"], [server["server"] for server in row["servers"]]) for row in rows]


def _product_cells(row: dict[str, Any]) -> list[QStandardItem]:
    unlicensed = _number(row["per_seat_unlicensed"])
    if row["per_seat_unlicensed"]:
        unlicensed.setForeground(QBrush(STALE_COLOUR))
    return [
        _number(row["per_server_purchased"]),
        _number(row["per_server_peak"]),
        _number(row["per_seat_purchased"]),
        _number(row["per_seat_allocated"]),
        unlicensed,
    ]


def _server_cells(server: dict[str, Any]) -> list[QStandardItem]:
    per_server = server["mode"] == "per-server"
    return [
        _number(server["per_server_licenses"]) if per_server else _cell(""),
        _number(server["peak"]) if per_server else _cell(""),
        _cell("") if per_server else _number(server["per_seat_licenses"]),
        _cell(""),
        _cell(""),
    ]


def build_enterprise_products(
    rows: Sequence[dict[str, Any]], parent: QObject | None = None
) -> QStandardItemModel:
    """Products View of the enterprise: per product its totals, and one child row per server."""
    tr = Translator(parent).tr
    model = QStandardItemModel(parent)
    model.setSortRole(SORT_ROLE)
    model.setHorizontalHeaderLabels(
        [
            tr("Product"),
            tr("Per Server Purchased"),
            tr("Per Server Peak"),
            tr("Per Seat Purchased"),
            tr("Per Seat Allocated"),
            tr("Per Seat Unlicensed"),
        ]
    )
    for row in rows:
        product = _cell(row["product"])
        product.setIcon(icon("product"))
        product.setData("product", ITEM_KIND_ROLE)
        product.setData(row["product"], RECORD_ROLE)
        for server in row["servers"]:
            per_server = server["mode"] == "per-server"
            name = _cell(server["server"])
            name.setIcon(mode_icon(LicenseMode.PER_SERVER if per_server else LicenseMode.PER_SEAT))
            name.setData("server", ITEM_KIND_ROLE)
            name.setData(server["server"], RECORD_ROLE)
            name.setToolTip(mode_label(server["mode"]))
            product.appendRow([name, *_server_cells(server)])
        model.appendRow([product, *_product_cells(row)])
    return model


def update_enterprise_products(model: QStandardItemModel, rows: Sequence[dict[str, Any]]) -> None:
    """Put new figures into a tree of the same shape (:func:`products_shape`), changed cells only."""
    by_name = {row["product"]: row for row in rows}
    for product_row in range(model.rowCount()):
        product = model.item(product_row, 0)
        row = by_name[product.text()]
        _copy_cells(model, product_row, None, _product_cells(row))
        servers = {server["server"]: server for server in row["servers"]}
        for child in range(product.rowCount()):
            _copy_cells(model, child, product, _server_cells(servers[product.child(child, 0).text()]))


def _copy_cells(
    model: QStandardItemModel, row: int, parent: QStandardItem | None, cells: list[QStandardItem]
) -> None:
    for column, fresh in enumerate(cells, start=1):
        item = model.item(row, column) if parent is None else parent.child(row, column)
        if item is not None and (item.text(), item.foreground()) != (fresh.text(), fresh.foreground()):
            item.setText(fresh.text())
            item.setData(fresh.data(SORT_ROLE), SORT_ROLE)
            item.setForeground(fresh.foreground())


def server_state_text(server: dict[str, Any], tr: Callable[[str], str]) -> str:
    """What the Server Browser says of a server's replication: state, when, and whether it is stale."""
    states = {
        "master": tr("Master"),
        "replicating": tr("Replicating"),
        "never replicated": tr("Never replicated"),
        "revoked": tr("Removed from the master"),
        "refused": tr("Last batch refused"),
    }
    text = str(states.get(server["state"], server["state"]))
    if server.get("last_replication"):
        text += " · " + tr("last %1").replace("%1", local_time(server["last_replication"]))
    if server.get("stale"):
        text = tr("Stale: %1").replace("%1", text)
    return text


def build_enterprise_servers(
    servers: Sequence[dict[str, Any]], master: str, parent: QObject | None = None
) -> QStandardItemModel:
    """Server Browser of the enterprise: enterprise -> domain -> server (products read on expand)."""
    tr = Translator(parent).tr
    model = QStandardItemModel(parent)
    model.setSortRole(SORT_ROLE)
    model.setHorizontalHeaderLabels([tr("Name"), tr("Licensing Mode"), tr("Licenses"), tr("Replication")])
    enterprise = QStandardItem(
        icon("licensing", recolor=False), tr("Enterprise (master %1)").replace("%1", master)
    )
    enterprise.setEditable(False)
    enterprise.setData("enterprise", ITEM_KIND_ROLE)
    domains: dict[str, list[list[QStandardItem]]] = {}
    for server in servers:
        name = _cell(server["name"])
        name.setIcon(icon("server"))
        name.setData("server", ITEM_KIND_ROLE)
        name.setData(server["name"], RECORD_ROLE)
        state = _cell("")
        _show_state(name, state, server, tr)
        if server.get("is_master"):
            name.setText(tr("%1 (master)").replace("%1", server["name"]))
        placeholder = _cell(tr("Reading the products..."))
        placeholder.setData(PLACEHOLDER, ITEM_KIND_ROLE)
        name.appendRow([placeholder, _cell(""), _cell(""), _cell("")])
        products = _cell(tr("%n product(s)", "", server["products"]), server["products"])
        domains.setdefault(server["domain"], []).append([name, _cell(""), products, state])
    for domain in sorted(domains, key=lambda text: (text == "", text.casefold())):
        members = domains[domain]
        item = _cell(domain or tr("Servers without a domain"))
        item.setIcon(_standard_icon(QStyle.StandardPixmap.SP_DirIcon))
        item.setData("site", ITEM_KIND_ROLE)
        for row in members:
            item.appendRow(row)
        stale = sum(1 for row in members if row[3].foreground().color() == STALE_COLOUR)
        summary = tr("%n server(s)", "", len(members))
        if stale:
            summary += ", " + tr("%n stale", "", stale)
        enterprise.appendRow([item, _cell(""), _cell(summary, len(members)), _cell("")])
    model.appendRow([enterprise, _cell(""), _cell(""), _cell("")])
    make_read_only(model)
    return model


def _show_state(
    name: QStandardItem, state: QStandardItem, server: dict[str, Any], tr: Callable[..., str]
) -> None:
    """A server's replication state in its row: the text, and a stale or refused server marked."""
    state.setText(server_state_text(server, tr))
    state.setData(server.get("last_replication") or "", SORT_ROLE)
    if server.get("stale") or server["state"] in ("revoked", "refused"):
        state.setForeground(QBrush(STALE_COLOUR))
        name.setIcon(_standard_icon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        name.setToolTip(
            tr("What the master shows of this server is old: it has not replicated for over a day.")
            if server.get("stale")
            else server.get("last_refusal") or state.text()
        )
    else:
        state.setData(None, Qt.ItemDataRole.ForegroundRole)
        name.setIcon(icon("server"))
        name.setToolTip("")


def update_server_states(
    model: QStandardItemModel, before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> None:
    """Update in place the rows of the servers whose state changed (same servers, same domains)."""
    tr = Translator(model).tr
    changed = {new["name"]: new for old, new in zip(before, after, strict=True) if old != new}
    if not changed:
        return
    enterprise = model.item(0, 0)
    for domain_row in range(enterprise.rowCount()):
        domain = enterprise.child(domain_row, 0)
        for row in range(domain.rowCount()):
            name = domain.child(row, 0)
            server = changed.get(str(name.data(RECORD_ROLE)))
            if server is not None:
                _show_state(name, domain.child(row, 3), server, tr)
                domain.child(row, 2).setText(tr("%n product(s)", "", server["products"]))
                domain.child(row, 2).setData(server["products"], SORT_ROLE)


def fill_server_products(server_item: QStandardItem, products: Sequence[dict[str, Any]]) -> None:
    """Put a server's products (each with its mode's icon) under its item, replacing the placeholder."""
    tr = Translator(server_item.model()).tr
    server_item.removeRows(0, server_item.rowCount())
    for product in products:
        mode = LicenseMode.PER_SERVER if product["mode"] == "per-server" else LicenseMode.PER_SEAT
        item = _cell(product["product"])
        item.setIcon(mode_icon(mode))
        item.setData("product", ITEM_KIND_ROLE)
        item.setData(product["product"], RECORD_ROLE)
        if mode is LicenseMode.PER_SERVER:
            count = int(product["per_server_licenses"])
            licenses = _cell(tr("%n concurrent connection(s)", "", count), count)
        else:
            count = int(product["per_seat_licenses"])
            licenses = _cell(tr("%n seat(s) purchased", "", count), count)
        server_item.appendRow([item, _cell(mode.label), licenses, _cell("")])
    if not products:
        server_item.appendRow([_cell(tr("No products reported")), _cell(""), _cell(""), _cell("")])


def tree_rows(model: QStandardItemModel) -> tuple[list[str], list[list[object]]]:
    """Headers and every row of a tree as shown (depth-first; a child's first cell indented), for CSV."""
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
    rows: list[list[object]] = []

    def walk(parent: QStandardItem, depth: int) -> None:
        for row in range(parent.rowCount()):
            first = parent.child(row, 0)
            if first is None or first.data(ITEM_KIND_ROLE) == PLACEHOLDER:
                continue
            cells: list[object] = ["  " * depth + first.text()]
            for column in range(1, model.columnCount()):
                item = parent.child(row, column)
                cells.append(item.text() if item is not None else "")
            rows.append(cells)
            walk(first, depth + 1)

    walk(model.invisibleRootItem(), 0)
    return headers, rows
