"""License Manager connected to a master: a real master and two real servers (processes on loopback).

Select Domain connects; the four tabs show the enterprise (Server column, servers used, per-server
breakdown, Server Browser with every server and its products with mode icons); a master that does not
answer, refuses the token or is no master is one clear line and the window keeps working; a master that
goes away while connected is said in the status bar and the data shown stays."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from applet.client.discovery import ServiceEndpoint, find_service
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.ui.manager.dialogs.new_license import EnterpriseNewLicenseDialog, NewLicenseDialog
from applet.ui.manager.dialogs.select_domain import SelectDomainDialog
from applet.ui.manager.models.columns import ITEM_KIND_ROLE, RECORD_ROLE
from applet.ui.manager.models.enterprise import EnterpriseClientsModel, EnterpriseHistoryModel
from applet.ui.manager.models.server_tree import mode_icon
from applet.ui.manager.window import CLIENTS, HISTORY, PRODUCTS, SERVERS, ManagerWindow
from tests.service.test_enterprise_api import run_lls as lls

EAST, NT = "web-01.east.example", "NT4SRV"


class Services:
    """Real ``lls service run`` processes, each on its own data folder (stopped at the end)."""

    def __init__(self, tmp_path: Path, qtbot: QtBot) -> None:
        self.tmp_path = tmp_path
        self.qtbot = qtbot
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, folder: Path, port: int = 0) -> ServiceEndpoint:
        folder.mkdir(parents=True, exist_ok=True)
        log = open(folder.with_suffix(".log"), "a", encoding="utf-8")  # noqa: SIM115 - the child writes it
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "applet",
                "--data-dir",
                str(folder),
                "service",
                "run",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        log.close()
        self.processes.append(process)
        found: list[ServiceEndpoint] = []

        def ready() -> bool:
            assert process.poll() is None, folder.with_suffix(".log").read_text()
            endpoint = find_service(folder)
            if endpoint is not None and endpoint.pid == process.pid:
                found.append(endpoint)
            return bool(found)

        self.qtbot.waitUntil(ready, timeout=20_000)
        return found[-1]

    def stop(self, endpoint: ServiceEndpoint) -> None:
        process = next(p for p in self.processes if p.pid == endpoint.pid)
        process.terminate()
        process.wait(timeout=15)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)


@pytest.fixture
def services(tmp_path: Path, qtbot: QtBot) -> Iterator[Services]:
    started = Services(tmp_path, qtbot)
    yield started
    started.stop_all()


@pytest.fixture
def enterprise(services: Services, tmp_path: Path, qtbot: QtBot) -> dict[str, Any]:
    """A master and two servers (EAST: Exchange Per Seat + SQL Server Per Server; NT likewise) that
    replicated to it, with Per Seat users on both."""
    master_dir = tmp_path / "master"
    lls(master_dir, "product", "add", "Exchange", "--mode", "per-seat")
    lls(master_dir, "licenses", "add", "Exchange", "2", "--agree", "--comment", "enterprise")
    master = services.start(master_dir)
    later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")
    servers: dict[str, tuple[Path, ServiceEndpoint]] = {}
    for name, users in ((EAST, ("alice", "bob")), (NT, ("Alice", "carol"))):
        token = tmp_path / f"{name}.token"
        lls(master_dir, "enterprise", "enroll", name, "--token-file", str(token))
        folder = tmp_path / name
        lls(folder, "product", "add", "Exchange", "--mode", "per-seat")
        lls(folder, "product", "add", "SQL Server", "--limit", "5", "--agree")
        lls(folder, "licenses", "add", "SQL Server", "3", "--agree", "--comment", f"PO {name}")
        lls(
            folder, "replication", "set", "--enterprise-server", f"127.0.0.1:{master.port}",
            "--token-file", str(token), "--start-at", later,
        )  # fmt: skip
        servers[name] = (folder, services.start(folder))
        for user in users:
            lls(folder, "free", lls(folder, "request", "Exchange", "--user", user).strip())
        count = len(users)
        qtbot.waitUntil(lambda f=folder, n=count: len(lls(f, "--json", "clients")) == n, timeout=10_000)
        lls(folder, "replication", "now")
    return {
        "master": master,
        "master_dir": master_dir,
        "address": f"127.0.0.1:{master.port}",
        "servers": servers,
    }


def _items(model: QAbstractItemModel, kind: str) -> list[QPersistentModelIndex]:
    """Every row of ``kind`` in a tree, depth first (indexes that follow inserts and sorting)."""
    found: list[QPersistentModelIndex] = []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            child = model.index(row, 0, parent)
            if child.data(ITEM_KIND_ROLE) == kind:
                found.append(QPersistentModelIndex(child))
            walk(child)

    walk(QModelIndex())
    return found


def _children(index: QPersistentModelIndex, column: int = 0) -> list[QModelIndex]:
    model = index.model()
    parent = QModelIndex(index)
    return [model.index(row, column, parent) for row in range(model.rowCount(parent))]


def _first_kind(index: QPersistentModelIndex) -> object:
    children = _children(index)
    return children[0].data(ITEM_KIND_ROLE) if children else None


def _select_domain(window: ManagerWindow, address: str, token: str) -> SelectDomainDialog:
    window.select_domain()
    dialog = window.child_dialog
    assert isinstance(dialog, SelectDomainDialog)
    dialog.master.setText(address)
    dialog.token_file.setText(token)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    return dialog


def test_select_domain_shows_the_enterprise_in_the_four_tabs(
    seeded: Store,
    enterprise: dict[str, Any],
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    qtmodeltester: Any,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    window = open_manager()
    master = enterprise["master"]
    dialog = _select_domain(window, enterprise["address"], str(master.admin_token_file))
    snapshot(dialog, "select-domain")
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    assert "Enterprise of master" in window.windowTitle() and enterprise["address"] in window.windowTitle()
    assert window.status.master.text() == f"Master {enterprise['address']}: answering"

    # Server Browser: enterprise -> domains -> both servers (and the master), products with mode icons.
    window.tabs.setCurrentIndex(SERVERS)
    tab = window.servers
    qtbot.waitUntil(lambda: len(_items(tab.model, "server")) == 3, timeout=10_000)
    qtmodeltester.check(tab.model)
    servers = {str(item.data(RECORD_ROLE)): item for item in _items(tab.model, "server")}
    assert {EAST, NT} <= set(servers)
    domains = {item.data() for item in _items(tab.model, "site")}
    assert "east.example" in domains
    for name in (EAST, NT):
        item = servers[name]
        tab.view.expand(item.parent())
        tab.view.expand(QModelIndex(item))
        qtbot.waitUntil(lambda i=item: _first_kind(i) == "product", timeout=10_000)
        products = {child.data(): child for child in _children(item)}
        modes = {
            child.data(): mode.data() for child, mode in zip(_children(item), _children(item, 1), strict=True)
        }
        assert modes["Exchange"] == "Per Seat" and modes["SQL Server"] == "Per Server"
        for product, mode in (("Exchange", LicenseMode.PER_SEAT), ("SQL Server", LicenseMode.PER_SERVER)):
            shown = products[product].data(Qt.ItemDataRole.DecorationRole).pixmap(16, 16).toImage()
            assert shown == mode_icon(mode).pixmap(16, 16).toImage()
    state = servers[EAST].sibling(servers[EAST].row(), 3).data()
    assert state.startswith("Replicating · last ")
    qtmodeltester.check(tab.model)
    window.resize(1000, 620)
    snapshot(window, "enterprise-server-browser")
    assert "3 servers in the enterprise, 0 stale" in window.status.text.text()

    # Purchase History: every server's ledger with a Server column.
    window.tabs.setCurrentIndex(HISTORY)
    history = window.history.model
    assert isinstance(history, EnterpriseHistoryModel)
    qtbot.waitUntil(lambda: {EAST, NT} <= {r["server"] for r in history.records()}, timeout=10_000)
    qtmodeltester.check(history)
    assert history.headerData(1, Qt.Orientation.Horizontal) == "Server"
    window.history.filter.setText("po nt4")
    window.history.apply_filter()
    qtbot.waitUntil(lambda: [r["server"] for r in history.records()] == [NT], timeout=10_000)
    snapshot(window, "enterprise-history")

    # Clients (Per Seat): one row per user across the enterprise, with the servers used.
    window.tabs.setCurrentIndex(CLIENTS)
    clients = window.clients.model
    assert isinstance(clients, EnterpriseClientsModel)
    qtbot.waitUntil(lambda: clients.total == 3, timeout=10_000)
    qtmodeltester.check(clients)
    alice = next(r for r in clients.records() if r["user"].casefold() == "alice")
    assert alice["servers"] == sorted([EAST, NT])
    assert not window.clients.product_choice.isVisible()

    # Products View: enterprise totals, expandable per server.
    window.tabs.setCurrentIndex(PRODUCTS)
    products_tab = window.products
    qtbot.waitUntil(lambda: products_tab.enterprise.rowCount() >= 2, timeout=10_000)
    qtmodeltester.check(products_tab.enterprise)
    sql = next(p for p in _items(products_tab.enterprise, "product") if p.data() == "SQL Server")
    assert {child.data() for child in _children(sql)} == {EAST, NT}
    assert sql.sibling(sql.row(), 1).data() == "16"
    assert products_tab.view is products_tab.tree and products_tab.view.isVisible()
    products_tab.view.expandAll()
    snapshot(window, "enterprise-products")

    # Back to this computer: the local tabs as before.
    window.use_local_store()
    assert window.windowTitle() == "License Manager" and not window.status.master.isVisible()
    assert not window.status.fault.isVisible()
    assert window.products.view is window.products.table
    window.tabs.setCurrentIndex(HISTORY)
    assert window.history.model is window.history.local_model


def test_a_master_that_cannot_be_used_is_one_line_in_the_dialog_and_the_window_keeps_working(
    seeded: Store,
    services: Services,
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    tmp_path: Path,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    plain = services.start(tmp_path / "plain")  # a service with no enrolled server: no master
    window = open_manager()
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token")
    cases = [
        ("127.0.0.1:9", str(plain.admin_token_file), "does not answer"),
        (f"127.0.0.1:{plain.port}", str(wrong), "did not accept the token"),
        (f"127.0.0.1:{plain.port}", str(plain.admin_token_file), "is not a master"),
        ("bad host name!", str(wrong), "not a host name or address"),
        (f"127.0.0.1:{plain.port}", "", "choose the file with the master's administrator token"),
    ]
    for address, token, expected in cases:
        dialog = _select_domain(window, address, token)
        qtbot.waitUntil(lambda d=dialog, e=expected: e in d.error.text(), timeout=15_000)
        assert dialog.isVisible() and dialog.master.text() == address and dialog.token_file.text() == token
        assert window.gateway.master is None and window.windowTitle() == "License Manager"
        if expected == "did not accept the token":
            snapshot(dialog, "select-domain-refused")
        dialog.reject()
    # The window still works on its own store.
    window.refresh()
    qtbot.waitUntil(lambda: window.products.model.rowCount() == 3, timeout=5000)
    assert not window.status.fault.isVisible()


def test_a_master_that_goes_away_is_said_in_the_status_bar_and_the_data_stays(
    enterprise: dict[str, Any],
    services: Services,
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
) -> None:
    window = open_manager()
    master = enterprise["master"]
    window.connect_master(enterprise["address"], str(master.admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    window.tabs.setCurrentIndex(HISTORY)
    qtbot.waitUntil(lambda: window.history.model.rowCount() >= 5, timeout=10_000)
    shown = window.history.model.rowCount()
    services.stop(master)
    window.ping_master()
    qtbot.waitUntil(lambda: "not answering" in window.status.master.text(), timeout=15_000)
    assert "does not answer" in window.status.master.toolTip()
    assert window.history.model.rowCount() == shown
    window.refresh()  # a page that cannot be read keeps the rows shown
    qtbot.waitUntil(lambda: not window.gateway.busy, timeout=15_000)
    assert window.history.model.rowCount() == shown


def test_license_manager_master_option_needs_a_token_file() -> None:
    from applet.ui.manager.main import main

    with pytest.raises(SystemExit) as refused:
        main(["--master", "lic-master"])
    assert refused.value.code == 2


def test_a_server_expanded_twice_reads_its_products_once(
    enterprise: dict[str, Any], open_manager: Callable[[], ManagerWindow], qtbot: QtBot
) -> None:
    window = open_manager()
    window.connect_master(enterprise["address"], str(enterprise["master"].admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    window.tabs.setCurrentIndex(SERVERS)
    tab = window.servers
    qtbot.waitUntil(lambda: len(_items(tab.model, "server")) == 3, timeout=10_000)
    east = next(i for i in _items(tab.model, "server") if i.data(RECORD_ROLE) == EAST)
    # Asked twice before the answer: one request, one set of product rows.
    tab.model.fetchMore(QModelIndex(east))
    tab.model.fetchMore(QModelIndex(east))
    assert [child.data(ITEM_KIND_ROLE) for child in _children(east)] == ["placeholder"]
    qtbot.waitUntil(lambda: _first_kind(east) == "product", timeout=10_000)
    qtbot.waitUntil(lambda: not window.gateway.busy, timeout=10_000)
    names = [child.data() for child in _children(east)]
    assert len(names) == len(set(names)) and {"Exchange", "SQL Server"} <= set(names)


def _new_license(window: ManagerWindow, qtbot: QtBot) -> EnterpriseNewLicenseDialog:
    """License -> New License... (Ctrl+N) connected to a master: the enterprise dialog."""
    window.activateWindow()  # a dialog closed before: the shortcut needs the window active again
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.child_dialog, EnterpriseNewLicenseDialog), timeout=10_000)
    dialog = window.child_dialog
    assert isinstance(dialog, EnterpriseNewLicenseDialog)
    return dialog


def _type(qtbot: QtBot, field: QWidget, text: str) -> None:
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)


def test_new_license_on_a_master_buys_per_seat_for_the_enterprise_and_per_server_on_a_chosen_server(
    seeded: Store,
    enterprise: dict[str, Any],
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    qtmodeltester: Any,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    window = open_manager()
    master = enterprise["master"]
    master_dir, address = enterprise["master_dir"], enterprise["address"]
    window.connect_master(address, str(master.admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    master_name = window.master_summary["master"]

    # Per Seat: an enterprise purchase, recorded on the master.
    dialog = _new_license(window, qtbot)
    dialog.product_box.setCurrentText("Exchange")
    assert dialog.per_seat.isChecked() and dialog.for_enterprise.isVisible()
    assert not dialog.server_box.isVisible() and not dialog.connection.isVisible()
    assert master_name in dialog.for_enterprise.text()
    assert "2 Per Seat licenses purchased" in dialog.state.text()
    _type(qtbot, dialog.quantity, "6")
    qtbot.keyClicks(dialog.comment, "PO ent 7")
    assert not dialog.ok_button.isEnabled()  # the agreement, as on one server
    qtbot.mouseClick(dialog.agree, Qt.MouseButton.LeftButton)
    snapshot(dialog, "enterprise-new-license-per-seat")
    with qtbot.waitSignal(dialog.finished, timeout=15_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    # In the master's enterprise views as the dialog closes (no wait for the master's periodic run).
    bought = [
        (r["server"], r["product"], r["quantity"], r["mode"])
        for r in window.gateway.master.purchases(text="PO ent 7")["rows"]
    ]
    assert bought == [(master_name, "Exchange", 6, "per-seat")]
    counted = {row["product"]: row["per_seat"] for row in lls(master_dir, "--json", "enterprise", "products")}
    assert counted["Exchange"]["purchased"] == 8
    window.tabs.setCurrentIndex(HISTORY)
    history = window.history.model
    qtbot.waitUntil(lambda: any(r["comment"] == "PO ent 7" for r in history.records()), timeout=10_000)
    qtmodeltester.check(history)
    assert next(r for r in history.records() if r["comment"] == "PO ent 7")["server"] == master_name
    window.tabs.setCurrentIndex(PRODUCTS)
    products = window.products.enterprise
    qtbot.waitUntil(
        lambda: any(
            p.data() == "Exchange" and p.sibling(p.row(), 3).data() == "8"
            for p in _items(products, "product")
        ),
        timeout=10_000,
    )

    # Per Server: the dialog asks which server, and writes to that server with its own token.
    nt_dir, nt = enterprise["servers"][NT]
    dialog = _new_license(window, qtbot)
    dialog.product_box.setCurrentText("SQL Server")
    assert dialog.per_server.isChecked() and not dialog.for_enterprise.isVisible()
    assert dialog.server_box.isVisible() and dialog.connection.isVisible()
    assert {dialog.server_box.itemText(i) for i in range(dialog.server_box.count())} == {
        master_name,
        EAST,
        NT,
    }
    dialog.server_box.setFocus()
    dialog.server_box.setCurrentText(NT)
    assert dialog.connection.address.text() == NT  # its enrolled name until one connected
    assert "8 Per Server licenses" in dialog.state.text()
    dialog.per_server.setFocus()
    tabbed = []
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        tabbed.append(QApplication.focusWidget())
    box = dialog.connection
    assert tabbed == [dialog.server_box, box.address, box.token_file, box.connect_button, dialog.quantity]
    _type(qtbot, dialog.connection.address, f"127.0.0.1:{nt.port}")
    _type(qtbot, dialog.connection.token_file, str(nt.admin_token_file))
    qtbot.mouseClick(dialog.connection.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: f"(127.0.0.1:{nt.port})" in dialog.state.text(), timeout=10_000)
    _type(qtbot, dialog.quantity, "3")
    qtbot.keyClicks(dialog.comment, "PO nt 8")
    qtbot.mouseClick(dialog.agree, Qt.MouseButton.LeftButton)
    snapshot(dialog, "enterprise-new-license-per-server")
    with qtbot.waitSignal(dialog.finished, timeout=15_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    lines = [
        (h["product"], h["quantity"], h["mode"])
        for h in lls(nt_dir, "--json", "history")
        if h["comment"] == "PO nt 8"
    ]
    assert lines == [("SQL Server", 3, "per-server")]
    assert not [h for h in lls(master_dir, "--json", "history") if h["comment"] == "PO nt 8"]
    assert window.settings.value(f"servers/{NT.casefold()}/address") == f"127.0.0.1:{nt.port}"

    # Remembered next time; back on this computer New License is the local dialog again.
    dialog = _new_license(window, qtbot)
    dialog.per_server.click()
    dialog.server_box.setCurrentText(NT)
    assert dialog.connection.token_file.text() == str(nt.admin_token_file)
    dialog.reject()
    qtbot.waitUntil(lambda: window.child_dialog is None)
    window.use_local_store()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.child_dialog is not None, timeout=10_000)
    assert type(window.child_dialog) is NewLicenseDialog


def test_new_license_on_a_master_says_why_in_one_line_keeps_the_edits_and_writes_nothing(
    enterprise: dict[str, Any],
    services: Services,
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    tmp_path: Path,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    window = open_manager()
    master = enterprise["master"]
    master_dir, address = enterprise["master_dir"], enterprise["address"]
    window.connect_master(address, str(master.admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    master_name = window.master_summary["master"]
    nt_dir, nt = enterprise["servers"][NT]
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token")
    written = {folder: len(lls(folder, "--json", "history")) for folder in (master_dir, nt_dir)}

    dialog = _new_license(window, qtbot)
    dialog.product_box.setCurrentText("SQL Server")
    dialog.per_server.click()
    _type(qtbot, dialog.quantity, "4")
    qtbot.keyClicks(dialog.comment, "PO refused")
    # No agreement: OK stays off and Enter does nothing (the rule of one server).
    qtbot.keyClick(dialog.comment, Qt.Key.Key_Return)
    assert dialog.isVisible() and not dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.agree, Qt.MouseButton.LeftButton)
    cases = [
        (NT, "127.0.0.1:9", str(nt.admin_token_file), "does not answer"),
        (NT, f"127.0.0.1:{nt.port}", str(wrong), "did not accept the token"),
        (NT, f"127.0.0.1:{nt.port}", "", "choose the file with the server's administrator token"),
        (NT, "bad host name!", str(nt.admin_token_file), "not a host name or address"),
        # The master runs no SQL Server of its own: a product that server does not have.
        (master_name, address, str(master.admin_token_file), "SQL Server"),
    ]
    for server, typed, token, expected in cases:
        dialog.server_box.setCurrentText(server)
        _type(qtbot, dialog.connection.address, typed)
        _type(qtbot, dialog.connection.token_file, token)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda e=expected: e in dialog.error.text() and dialog.ok_button.isEnabled(), timeout=15_000
        )
        assert dialog.isVisible() and dialog.error.isVisible() and "\n" not in dialog.error.text()
        assert (dialog.quantity.value(), dialog.comment.text(), dialog.server_box.currentText()) == (
            4,
            "PO refused",
            server,
        )
        assert (dialog.connection.address.text(), dialog.connection.token_file.text()) == (typed, token)
        if expected == "did not accept the token":
            snapshot(dialog, "enterprise-new-license-refused")

    # Per Seat with the master gone: one line, the edits stay.
    dialog.per_seat.click()
    assert not dialog.error.isVisible()
    services.stop(master)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "does not answer" in dialog.error.text(), timeout=20_000)
    assert dialog.isVisible() and dialog.comment.text() == "PO refused" and dialog.per_seat.isChecked()
    assert {folder: len(lls(folder, "--json", "history")) for folder in (master_dir, nt_dir)} == written
