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
from functools import cache
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from applet.domain.errors import InvalidInput
from applet.domain.products import LicenseMode
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.models.columns import Column, Translator
from applet.ui.manager.models.lazy_tree import LazyTreeModel, TreeNode
from applet.ui.manager.models.paged import CountQuery, PagedTableModel, PageQuery
from applet.ui.manager.models.server_tree import mode_icon
from applet.ui.manager.symbols import local_time

# A row that stands for a server's products while they are read (or says why they could not be).
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


class _Icons:
    """The trees' icons, made once per tree (not once per row)."""

    def __init__(self) -> None:
        self.enterprise = icon("licensing", recolor=False)
        self.server = icon("server")
        self.product = icon("product")
        self.per_server = mode_icon(LicenseMode.PER_SERVER)
        self.per_seat = mode_icon(LicenseMode.PER_SEAT)
        # A stale or refused server keeps the server icon; its red state and tooltip say what is wrong
        # (the style's warning and folder icons are not used: asking the application's style for them
        # from a model crashed under the Python proxy style the application installs).
        self.warning = self.server
        self.domain = icon("replication")


@cache
def _tree_icons() -> _Icons:
    """The icons every enterprise tree shows, made once. A tree holds its rows in reference cycles
    (parents and children), so a replaced tree is freed by the garbage collector, which frees its objects
    in no particular order; a QIcon freed that way together with its Python icon engine crashed the
    process (View -> Refresh of a connected Server Browser, then the next collection). Shared icons are
    never among a tree's garbage; they repaint in the palette's colours at paint time, so sharing is
    safe."""
    return _Icons()


class EnterpriseTree(LazyTreeModel):
    """A tree of the enterprise with its icons (made once per tree, not once per row)."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(headers, parent)
        self.icons = _tree_icons()


def _figures(values: Sequence[int | None]) -> tuple[list[str], list[object]]:
    """Cells of numbers (None: an empty cell) and their sort values."""
    return [f"{v:,}" if v is not None else "" for v in values], [v if v is not None else -1 for v in values]


# ---------------------------------------------------------------------------- Products View


def products_shape(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """What decides the Products View tree's rows: each product and the servers that have it."""
    return [(row["product"], [server["server"] for server in row["servers"]]) for row in rows]


def _product_figures(row: dict[str, Any]) -> list[int | None]:
    return [
        row["per_server_purchased"],
        row["per_server_peak"],
        row["per_seat_purchased"],
        row["per_seat_allocated"],
        row["per_seat_unlicensed"],
    ]


def _server_figures(server: dict[str, Any]) -> list[int | None]:
    per_server = server["mode"] == "per-server"
    return [
        server["per_server_licenses"] if per_server else None,
        server["peak"] if per_server else None,
        None if per_server else server["per_seat_licenses"],
        None,
        None,
    ]


def _set_figures(node: TreeNode, values: Sequence[int | None]) -> None:
    texts, sorts = _figures(values)
    node.cells[1:] = texts
    node.sort_values[1:] = sorts
    if values[-1]:
        node.colours[len(values)] = STALE_COLOUR
    else:
        node.colours.pop(len(values), None)


def build_enterprise_products(
    rows: Sequence[dict[str, Any]], parent: QObject | None = None
) -> "EnterpriseTree":
    """Products View of the enterprise: per product its totals, and one child row per server."""
    tr = Translator(parent).tr
    model = EnterpriseTree(
        [
            tr("Product"),
            tr("Per Server Purchased"),
            tr("Per Server Peak"),
            tr("Per Seat Purchased"),
            tr("Per Seat Allocated"),
            tr("Per Seat Unlicensed"),
        ],
        parent,
    )
    icons = model.icons
    for row in rows:
        product = model.root.add(
            TreeNode("product", row["product"], [row["product"], *[""] * 5], icon=icons.product)
        )
        product.sort_values[0] = row["product"].casefold()
        _set_figures(product, _product_figures(row))
        for server in row["servers"]:
            per_server = server["mode"] == "per-server"
            child = product.add(
                TreeNode(
                    "server",
                    server["server"],
                    [server["server"], *[""] * 5],
                    icon=icons.per_server if per_server else icons.per_seat,
                )
            )
            child.sort_values[0] = server["server"].casefold()
            child.tooltip = mode_label(server["mode"])
            _set_figures(child, _server_figures(server))
    return model


def update_enterprise_products(model: "EnterpriseTree", rows: Sequence[dict[str, Any]]) -> None:
    """Put new figures into a tree of the same shape (:func:`products_shape`); repaint what changed."""
    by_name = {row["product"]: row for row in rows}
    for product in model.root.children:
        row = by_name[str(product.key)]
        servers = {server["server"]: server for server in row["servers"]}
        for node, values in [
            (product, _product_figures(row)),
            *((child, _server_figures(servers[str(child.key)])) for child in product.children),
        ]:
            before = (list(node.cells), dict(node.colours))
            _set_figures(node, values)
            if (node.cells, node.colours) != before:
                model.cells_changed(node)


# ---------------------------------------------------------------------------- Server Browser


class ServerWords:
    """What the Server Browser says of servers, translated once per tree: a thousand servers asked
    Qt for seven translations each, a third of the time the tree took to build."""

    def __init__(self, tr: Callable[..., str]) -> None:
        self._tr = tr
        self.states = {
            "master": tr("Master"),
            "replicating": tr("Replicating"),
            "never replicated": tr("Never replicated"),
            "revoked": tr("Removed from the master"),
            "refused": tr("Last batch refused"),
        }
        self.last = tr("last %1")
        self.stale = tr("Stale: %1")
        self.stale_tooltip = tr(
            "What the master shows of this server is old: it has not replicated for over a day."
        )
        self._products: dict[int, str] = {}

    def products(self, count: int) -> str:
        """ "3 products" (plural forms are the translation's)."""
        text = self._products.get(count)
        if text is None:
            text = self._products[count] = self._tr("%n product(s)", "", count)
        return text


def server_state_text(server: dict[str, Any], words: ServerWords) -> str:
    """What the Server Browser says of a server's replication: state, when, and whether it is stale."""
    text = str(words.states.get(server["state"], server["state"]))
    if server.get("last_replication"):
        text += " · " + words.last.replace("%1", local_time(server["last_replication"]))
    if server.get("stale"):
        text = words.stale.replace("%1", text)
    return text


def _show_server(node: TreeNode, server: dict[str, Any], icons: _Icons, words: ServerWords) -> None:
    """A server's row: products reported, replication state, a stale or refused server marked."""
    node.cells[2] = words.products(server["products"])
    node.sort_values[2] = server["products"]
    node.cells[3] = server_state_text(server, words)
    node.sort_values[3] = server.get("last_replication") or ""
    if server.get("stale") or server["state"] in ("revoked", "refused"):
        node.colours[3] = STALE_COLOUR
        node.icon = icons.warning
        node.tooltip = (
            words.stale_tooltip if server.get("stale") else server.get("last_refusal") or node.cells[3]
        )
    else:
        node.colours.pop(3, None)
        node.icon = icons.server
        node.tooltip = ""


def build_enterprise_servers(
    servers: Sequence[dict[str, Any]], master: str, parent: QObject | None = None
) -> "EnterpriseTree":
    """Server Browser of the enterprise: enterprise -> domain -> server (products read when expanded)."""
    tr = Translator(parent).tr
    model = EnterpriseTree([tr("Name"), tr("Licensing Mode"), tr("Licenses"), tr("Replication")], parent)
    icons, words = model.icons, ServerWords(tr)
    enterprise = model.root.add(
        TreeNode(
            "enterprise",
            None,
            [tr("Enterprise (master %1)").replace("%1", master), "", "", ""],
            icon=icons.enterprise,
        )
    )
    domains: dict[str, list[dict[str, Any]]] = {}
    for server in servers:
        domains.setdefault(server["domain"], []).append(server)
    for domain in sorted(domains, key=lambda text: (text == "", text.casefold())):
        members = domains[domain]
        stale = sum(1 for server in members if server.get("stale"))
        summary = tr("%n server(s)", "", len(members)) + (", " + tr("%n stale", "", stale) if stale else "")
        item = enterprise.add(
            TreeNode(
                "site",
                domain,
                [domain or tr("Servers without a domain"), "", summary, ""],
                [(domain == "", domain.casefold()), "", len(members), ""],
                icon=icons.domain,
            )
        )
        for server in members:
            label = (
                tr("%1 (master)").replace("%1", server["name"]) if server.get("is_master") else server["name"]
            )
            node = item.add(TreeNode("server", server["name"], [label, "", "", ""], lazy=True))
            _show_server(node, server, icons, words)
    return model


def update_server_states(
    model: "EnterpriseTree", before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> None:
    """Update in place the rows of the servers whose state changed (same servers, same domains)."""
    changed = {new["name"]: new for old, new in zip(before, after, strict=True) if old != new}
    if not changed:
        return
    words = ServerWords(Translator(model).tr)
    for node in model.walk():
        server = changed.get(str(node.key)) if node.kind == "server" else None
        if server is not None:
            _show_server(node, server, model.icons, words)
            model.cells_changed(node)


def reading_placeholder(text: str) -> TreeNode:
    """A row that says a server's products are being read, or why they could not be."""
    return TreeNode(PLACEHOLDER, None, [text, "", "", ""])


def server_product_nodes(model: "EnterpriseTree", products: Sequence[dict[str, Any]]) -> list[TreeNode]:
    """A server's products, each with its mode's icon (or one row saying it reported none)."""
    tr = Translator(model).tr
    icons = model.icons
    nodes = []
    for product in products:
        per_server = product["mode"] == "per-server"
        mode = LicenseMode.PER_SERVER if per_server else LicenseMode.PER_SEAT
        if per_server:
            count = int(product["per_server_licenses"])
            licenses = tr("%n concurrent connection(s)", "", count)
        else:
            count = int(product["per_seat_licenses"])
            licenses = tr("%n seat(s) purchased", "", count)
        nodes.append(
            TreeNode(
                "product",
                product["product"],
                [product["product"], mode.label, licenses, ""],
                [product["product"].casefold(), mode.label.casefold(), count, ""],
                icon=icons.per_server if per_server else icons.per_seat,
            )
        )
    return nodes or [reading_placeholder(tr("No products reported"))]
