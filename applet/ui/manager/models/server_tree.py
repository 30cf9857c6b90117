"""The Server Browser tree: enterprise -> site -> server -> products (with each product's mode symbol)."""

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QObject
from PySide6.QtGui import QStandardItem, QStandardItemModel

from applet.domain.products import LicenseMode
from applet.store.records import ProductRecord, ServerRecord
from applet.ui.icons import icon
from applet.ui.manager.models.columns import ITEM_KIND_ROLE, RECORD_ROLE, SORT_ROLE, Translator


def mode_icon(mode: LicenseMode) -> Any:
    """The Server Browser symbol of a licensing mode (server: Per Server, seat: Per Seat)."""
    return icon("server" if mode is LicenseMode.PER_SERVER else "seat")


def build_server_tree(
    servers: Sequence[ServerRecord], products: Sequence[ProductRecord], parent: QObject | None = None
) -> QStandardItemModel:
    """Server Browser: enterprise -> site -> server -> products (with each product's mode symbol).

    This store knows the products of the local server; other servers (seen through replication) are
    listed without products. Every item has a ``SORT_ROLE`` (text case-folded, licenses as a number),
    the model's sort role, so a click on any header sorts each level by what the column shows.
    """
    tr = Translator(parent).tr
    model = QStandardItemModel(parent)
    model.setSortRole(SORT_ROLE)
    model.setHorizontalHeaderLabels([tr("Name"), tr("Licensing Mode"), tr("Licenses")])
    enterprise = QStandardItem(icon("licensing", recolor=False), tr("Enterprise"))
    enterprise.setData("enterprise", ITEM_KIND_ROLE)
    sites: dict[str, QStandardItem] = {}
    for server in servers:
        site_name = server.site or tr("Default site")
        site = sites.get(site_name)
        if site is None:
            site = _named(QStandardItem(site_name))
            site.setData("site", ITEM_KIND_ROLE)
            sites[site_name] = site
            enterprise.appendRow([site, _plain(""), _plain("")])
        label = server.name + (tr(" (this server)") if server.is_local else "")
        server_item = _named(QStandardItem(icon("server"), label))
        server_item.setData("server", ITEM_KIND_ROLE)
        server_item.setData(server.name, RECORD_ROLE)
        site.appendRow([server_item, _plain(""), _plain("")])
        if server.is_local:
            for product in products:
                item = _named(QStandardItem(mode_icon(product.mode), product.name))
                item.setData("product", ITEM_KIND_ROLE)
                item.setData(product.name, RECORD_ROLE)
                item.setToolTip(tr("Double-click to choose the licensing mode"))
                if product.mode is LicenseMode.PER_SERVER:
                    count = product.concurrent_limit
                    licenses = _plain(tr("%n concurrent connection(s)", "", count), count)
                else:
                    count = product.per_seat_licenses
                    licenses = _plain(tr("%n seat(s) purchased", "", count), count)
                server_item.appendRow([item, _plain(product.mode.label), licenses])
    model.appendRow([enterprise, _plain(""), _plain("")])
    make_read_only(model)
    return model


def _plain(text: str, sort_value: object = None) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text.casefold() if sort_value is None else sort_value, SORT_ROLE)
    return item


def _named(item: QStandardItem) -> QStandardItem:
    item.setData(item.text().casefold(), SORT_ROLE)
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
