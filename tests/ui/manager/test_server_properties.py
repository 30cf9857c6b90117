"""Server Properties of a server of the enterprise, against a real master and two real servers
(processes on loopback, the fixtures of test_manager_enterprise): opened from the Server Browser by user
actions; the Replication tab changes the server's schedule, which the server's own ``lls`` then shows;
two administrators on one server's schedule: the second is told and nothing is overwritten; a server
that does not answer, a wrong token and a server removed from the master are each one clear line, and
the dialog and the window keep working."""

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

import tests.ui.manager.test_manager_enterprise as enterprise_tests
from applet.ui.manager.dialogs.server_properties import ServerPropertiesDialog
from applet.ui.manager.models.columns import RECORD_ROLE
from applet.ui.manager.window import SERVERS, ManagerWindow
from tests.ui.manager.test_manager_enterprise import EAST, NT, Services, _items, lls

# The real master and servers of the enterprise License Manager tests.
services = enterprise_tests.services
enterprise = enterprise_tests.enterprise
OK = QDialogButtonBox.StandardButton.Ok


def _connected_window(
    open_manager: Callable[[], ManagerWindow], enterprise: dict[str, Any], qtbot: QtBot
) -> ManagerWindow:
    window = open_manager()
    window.connect_master(enterprise["address"], str(enterprise["master"].admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    window.tabs.setCurrentIndex(SERVERS)
    qtbot.waitUntil(lambda: len(_items(window.servers.model, "server")) == 3, timeout=10_000)
    return window


def _select_server(window: ManagerWindow, server: str) -> QModelIndex:
    """Click ``server``'s row in the Server Browser (its domain expanded first)."""
    tab = window.servers
    item = next(i for i in _items(tab.model, "server") if i.data(RECORD_ROLE) == server)
    tab.view.expand(item.parent())
    index = QModelIndex(item)
    tab.view.scrollTo(index)
    tab.view.setFocus()
    tab.view.setCurrentIndex(index)
    return index


def _opened(window: ManagerWindow, qtbot: QtBot) -> ServerPropertiesDialog:
    dialog = window.child_dialog
    assert isinstance(dialog, ServerPropertiesDialog)
    qtbot.waitUntil(lambda: "reading" not in dialog.replication_state.text(), timeout=10_000)
    return dialog


def _connect(dialog: ServerPropertiesDialog, qtbot: QtBot, port: int, token: Path | str) -> None:
    dialog.connection.address.setText(f"127.0.0.1:{port}")
    dialog.connection.token_file.setText(str(token))
    dialog.connection.connect_button.click()


def _wait_read(dialog: ServerPropertiesDialog, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: dialog.read is not None and not dialog.busy, timeout=10_000)


def _type_hours(qtbot: QtBot, dialog: ServerPropertiesDialog, hours: str) -> None:
    box = dialog.replication
    qtbot.mouseClick(box.start_every, Qt.MouseButton.LeftButton)
    box.every_hours.setFocus()
    box.every_hours.lineEdit().selectAll()
    qtbot.keyClicks(box.every_hours, hours)


def _replication(folder: Path) -> dict[str, Any]:
    settings: dict[str, Any] = lls(folder, "--json", "replication", "show")
    return settings


def test_server_properties_change_the_servers_schedule_and_a_second_administrator_is_told(
    seeded: Any,
    enterprise: dict[str, Any],
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    qtmodeltester: Any,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    window = _connected_window(open_manager, enterprise, qtbot)
    east_dir, east = enterprise["servers"][EAST]
    nt_dir, nt = enterprise["servers"][NT]
    master_address = enterprise["address"]

    # Enter on EAST's row: its Server Properties, first with the master's copy of its products.
    _select_server(window, EAST)
    assert window.properties_action.isEnabled()
    qtbot.keyClick(window.servers.view, Qt.Key.Key_Return)
    dialog = _opened(window, qtbot)
    assert dialog.windowTitle() == f"Server {EAST} Properties"
    assert dialog.replication_state.text().startswith(
        "Last replication (the master's view): Replicating · last"
    )
    qtbot.waitUntil(lambda: dialog.products.rowCount() >= 2, timeout=10_000)
    qtmodeltester.check(dialog.products)
    rows = {r["product"]: r for r in dialog.products.records()}
    assert rows["SQL Server"]["mode"] == "per-server" and rows["SQL Server"]["per_server"] == 8
    assert "master's copy" in dialog.products_source.text()
    from_master = {name: (r["per_server"], r["per_seat"]) for name, r in rows.items()}
    assert not dialog.replication.master_box.isEnabled()  # nothing to edit before the server answered
    snapshot(dialog, "server-properties-products-master-copy")

    # Connect: the server's own products and replication settings.
    _connect(dialog, qtbot, east.port, east.admin_token_file)
    _wait_read(dialog, qtbot)
    assert dialog.products_source.text() == f"Read from 127.0.0.1:{east.port} now."
    qtmodeltester.check(dialog.products)
    rows = {r["product"]: r for r in dialog.products.records()}
    assert rows["Exchange"]["mode"] == "per-seat" and rows["Exchange"]["in_use"] == 0
    # Both modes' licenses, as the master's copy shows them (no blank cell for the mode not in force).
    assert {name: (r["per_server"], r["per_seat"]) for name, r in rows.items()} == from_master
    dialog.tabs.setCurrentIndex(1)
    box = dialog.replication
    assert box.enterprise_server.isChecked() and box.server_name.text() == master_address
    assert box.start_at.isChecked() and box.master_box.isEnabled()
    assert "revision" in dialog.replication_note.text()
    _type_hours(qtbot, dialog, "6")
    snapshot(dialog, "server-properties-replication")
    dialog.buttons.button(OK).click()
    qtbot.waitUntil(lambda: window.child_dialog is None, timeout=10_000)
    settings = _replication(east_dir)
    assert (settings["master"], settings["enterprise_server"]) == ("enterprise-server", master_address)
    assert (settings["frequency"], settings["every_hours"]) == ("every", 6)
    assert settings["administrator"] == dialog.administrator

    # NT, from its context menu: someone else changes NT's schedule while the dialog is open.
    index = _select_server(window, NT)
    menu = window.context_menu_for(window.servers.view, window.servers.view.visualRect(index).center())
    assert window.properties_action in menu.actions() and window.properties_action.isEnabled()
    window.properties_action.trigger()
    dialog = _opened(window, qtbot)
    _connect(dialog, qtbot, nt.port, nt.admin_token_file)
    _wait_read(dialog, qtbot)
    dialog.tabs.setCurrentIndex(1)
    _type_hours(qtbot, dialog, "12")
    lls(nt_dir, "replication", "set", "--enterprise-server", master_address, "--every", "3")
    dialog.buttons.button(OK).click()
    qtbot.waitUntil(lambda: "changed by someone else" in dialog.error.text(), timeout=10_000)
    assert dialog.isVisible() and dialog.replication.every_hours.value() == 12  # what was typed stays
    qtbot.waitUntil(lambda: "every 3 hour" in dialog.replication_note.text(), timeout=10_000)
    snapshot(dialog, "server-properties-conflict")
    assert _replication(nt_dir)["every_hours"] == 3  # the other administrator's change stands
    # Told, the administrator confirms: OK again writes over what is now shown.
    dialog.buttons.button(OK).click()
    qtbot.waitUntil(lambda: window.child_dialog is None, timeout=10_000)
    assert _replication(nt_dir)["every_hours"] == 12


def test_a_server_that_cannot_be_used_or_was_removed_is_one_line_and_the_dialog_keeps_working(
    seeded: Any,
    enterprise: dict[str, Any],
    services: Services,
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    tmp_path: Path,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    window = _connected_window(open_manager, enterprise, qtbot)
    _east_dir, east = enterprise["servers"][EAST]
    index = _select_server(window, EAST)
    window.servers.view.doubleClicked.emit(index)
    window.servers.view.activated.emit(index)  # a double-click activates too: still one window
    dialog = _opened(window, qtbot)
    assert len(window.findChildren(ServerPropertiesDialog)) == 1

    # A wrong token: refused before anything is sent; nothing read.
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token")
    _connect(dialog, qtbot, east.port, wrong)
    qtbot.waitUntil(lambda: "did not accept the token" in dialog.error.text(), timeout=10_000)
    assert dialog.read is None and dialog.connection.token_file.text() == str(wrong)

    # Connected, an edit typed, then the server stops answering: why, and the edit stays.
    _connect(dialog, qtbot, east.port, east.admin_token_file)
    _wait_read(dialog, qtbot)
    assert not dialog.error.isVisible()
    dialog.tabs.setCurrentIndex(1)
    _type_hours(qtbot, dialog, "9")
    services.stop(east)
    dialog.buttons.button(OK).click()
    qtbot.waitUntil(lambda: "does not answer" in dialog.error.text(), timeout=15_000)
    assert dialog.isVisible() and dialog.replication.every_hours.value() == 9
    assert dialog.replication.start_every.isChecked() and dialog.buttons.button(OK).isEnabled()
    snapshot(dialog, "server-properties-unreachable")

    # Removed from the master while open: said on a line of its own as soon as the window reads the
    # master again (View -> Refresh), and the dialog and the window keep working.
    lls(enterprise["master_dir"], "enterprise", "remove", EAST)
    window.refresh()
    qtbot.waitUntil(lambda: dialog.removed_line.isVisible(), timeout=10_000)
    assert f"{EAST} was removed from the enterprise on the master" in dialog.removed_line.text()
    assert "removed from the master" in dialog.replication_state.text()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)  # the server itself still does not answer
    assert "does not answer" in dialog.error.text() and dialog.isVisible()
    assert dialog.replication.every_hours.value() == 9  # the edit survives the refresh
    snapshot(dialog, "server-properties-removed")
    dialog.refresh_button.click()  # its own Refresh asks the master again: still said
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)
    assert dialog.removed_line.isVisible() and dialog.replication.every_hours.value() == 9
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: window.child_dialog is None, timeout=10_000)
    assert EAST in {i.data(RECORD_ROLE) for i in _items(window.servers.model, "server")}
    assert not window.status.fault.isVisible(), window.status.fault.text()


def test_refreshing_the_connected_server_browser_frees_the_old_tree_without_a_crash(
    seeded: Any, enterprise: dict[str, Any], open_manager: Callable[[], ManagerWindow], qtbot: QtBot
) -> None:
    """View -> Refresh replaces the enterprise tree; the old one, held in reference cycles, is freed by
    the garbage collector. Its icons with their Python icon engine crashed the process there."""
    window = _connected_window(open_manager, enterprise, qtbot)
    for _ in range(2):
        old = window.servers.model
        window.refresh()
        qtbot.waitUntil(lambda old=old: window.servers.model is not old, timeout=10_000)
        qtbot.waitUntil(lambda: not window.gateway.busy, timeout=10_000)
        del old
        qtbot.wait(50)  # the old tree's deleteLater
        gc.collect()
    assert len(_items(window.servers.model, "server")) == 3
