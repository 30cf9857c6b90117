"""Choose Licensing Mode on another server of the enterprise: License Manager connected to a real master
with two real servers (processes on loopback). Double-clicking a product of a server in the Server
Browser connects to that server (once; remembered) and opens the Licensing applet's own dialog for that
product, whose Add Licenses, Remove Licenses, Per Seat change and agreements write to the server's API
with the same rules and conflict detection as locally; a server that stops answering is one line and
every edit stays."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from applet.store import Store
from applet.ui.licensing.add_licenses import AddLicensesDialog
from applet.ui.licensing.agreement import AgreementDialog
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.licensing.remove_licenses import RemoveLicensesDialog
from applet.ui.manager.dialogs.remote_mode import ServerConnectDialog
from applet.ui.manager.models.columns import RECORD_ROLE
from applet.ui.manager.window import SERVERS, ManagerWindow
from tests.ui.conftest import MessageBoxes
from tests.ui.manager.test_manager_enterprise import (  # noqa: F401 - the fixtures
    EAST,
    NT,
    Services,
    _children,
    _first_kind,
    _items,
    enterprise,
    lls,
    services,
)
from tests.ui.test_applet_choose_mode import child, click

Snapshot = Callable[[QWidget, str], Path]
Button = QMessageBox.StandardButton


def _double_click(window: ManagerWindow, qtbot: QtBot, server: str, product: str) -> QWidget:
    """Double-click ``product`` of ``server`` in the Server Browser (connected): what opens."""
    window.tabs.setCurrentIndex(SERVERS)
    tab = window.servers
    qtbot.waitUntil(lambda: len(_items(tab.model, "server")) == 3, timeout=10_000)
    item = next(i for i in _items(tab.model, "server") if i.data(RECORD_ROLE) == server)
    tab.view.expand(item.parent())
    tab.view.expand(QModelIndex(item))
    qtbot.waitUntil(lambda: _first_kind(item) == "product", timeout=10_000)
    before = window.child_dialog
    tab.view.doubleClicked.emit(next(c for c in _children(item) if c.data() == product))
    qtbot.waitUntil(
        lambda: window.child_dialog is not None and window.child_dialog is not before, timeout=10_000
    )
    opened = window.child_dialog
    assert opened is not None
    return opened


def _loaded(window: ManagerWindow, qtbot: QtBot) -> ChooseLicensingModeDialog:
    """The real Choose Licensing Mode, once it shows what it read from the server."""
    qtbot.waitUntil(lambda: isinstance(window.child_dialog, ChooseLicensingModeDialog), timeout=10_000)
    dialog = window.child_dialog
    assert isinstance(dialog, ChooseLicensingModeDialog)
    qtbot.waitUntil(lambda: dialog.is_loaded and dialog.ok_button.isEnabled(), timeout=10_000)
    return dialog


def _connect(step: QWidget, address: str, token: Path) -> None:
    assert isinstance(step, ServerConnectDialog)
    step.connection.address.setText(address)
    step.connection.token_file.setText(str(token))
    step.connection.connect_button.click()


def _agree(qtbot: QtBot, dialog: ChooseLicensingModeDialog) -> None:
    agreement = child(qtbot, dialog, AgreementDialog)
    click(qtbot, agreement.agree)
    click(qtbot, agreement.ok_button)
    qtbot.waitUntil(lambda: not agreement.isVisible())


def _connected_manager(
    open_manager: Callable[[], ManagerWindow], started: dict[str, Any], qtbot: QtBot
) -> ManagerWindow:
    """License Manager connected to the ``enterprise`` fixture's master."""
    window = open_manager()
    window.connect_master(started["address"], str(started["master"].admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)
    return window


def test_add_and_remove_licenses_on_a_server_with_the_applets_dialog_and_its_conflict_detection(
    seeded: Store,
    enterprise: dict[str, Any],  # noqa: F811
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    snapshot: Snapshot,
    boxes: MessageBoxes,
) -> None:
    window = _connected_manager(open_manager, enterprise, qtbot)
    east_dir, east = enterprise["servers"][EAST]

    # The connect step: the enrolled name does not resolve here; why, and what was typed stays.
    step = _double_click(window, qtbot, EAST, "SQL Server")
    assert isinstance(step, ServerConnectDialog) and step.connection.address.text() == EAST
    step.connection.token_file.setText(str(east.admin_token_file))
    step.connection.connect_button.click()
    qtbot.waitUntil(lambda: "does not answer" in step.error.text(), timeout=20_000)
    assert step.isVisible() and step.connection.token_file.text() == str(east.admin_token_file)
    snapshot(step, "remote-connect")
    _connect(step, f"127.0.0.1:{east.port}", east.admin_token_file)
    dialog = _loaded(window, qtbot)
    assert dialog.windowTitle() == f"Choose Licensing Mode on {EAST}"
    assert [dialog.product_combo.itemText(i) for i in range(dialog.product_combo.count())] == ["SQL Server"]
    assert dialog.per_server.isChecked() and dialog.connections.text() == "8"
    assert not dialog.replication_button.isVisible()  # this computer's replication: not offered here
    snapshot(dialog, "remote-choose-mode")

    # Add Licenses through the applet's own sub-dialog and agreement: in the server's own history.
    click(qtbot, dialog.add_button)
    adding = child(qtbot, dialog, AddLicensesDialog)
    adding.quantity.lineEdit().selectAll()
    qtbot.keyClicks(adding.quantity, "4")
    qtbot.keyClicks(adding.comment, "remote PO 9")
    qtbot.keyClick(adding.comment, Qt.Key.Key_Return)
    _agree(qtbot, dialog)
    assert dialog.connections.text() == "12"
    with qtbot.waitSignal(dialog.finished, timeout=10_000):
        click(qtbot, dialog.ok_button)
    added = [line for line in lls(east_dir, "--json", "history") if line["comment"] == "remote PO 9"]
    assert [(line["product"], line["quantity"], line["administrator"]) for line in added] == [
        ("SQL Server", 4, window.administrator)
    ]

    # Remembered: the next double-click opens the dialog at once. Remove Licenses offers the server's
    # certificates; another administrator changes the product meanwhile: told, nothing overwritten.
    opened = _double_click(window, qtbot, EAST, "SQL Server")
    assert isinstance(opened, ChooseLicensingModeDialog)
    dialog = _loaded(window, qtbot)
    assert dialog.connections.text() == "12"
    click(qtbot, dialog.remove_button)
    removing = child(qtbot, dialog, RemoveLicensesDialog)
    comments = [removing.model.purchase(row).comment for row in range(removing.model.rowCount())]
    assert comments[:2] == ["remote PO 9", f"PO {EAST}"]  # newest first
    certificate = removing.model.purchase(1).purchase_id
    removing.table.selectRow(1)
    removing.quantity.lineEdit().selectAll()
    qtbot.keyClicks(removing.quantity, "2")
    boxes.answer(Button.Yes)
    click(qtbot, removing.ok_button)
    qtbot.waitUntil(lambda: dialog.connections.text() == "10")
    lls(east_dir, "licenses", "add", "SQL Server", "1", "--agree", "--comment", "the other admin")
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):  # refused, said so, and read again
        click(qtbot, dialog.ok_button)
    assert "was changed on the server by someone else" in boxes.texts[-1] and dialog.isVisible()
    assert "another window" not in boxes.texts[-1]  # words for this desk, not for the server
    snapshot(dialog, "remote-choose-mode-conflict")
    assert dialog.connections.text() == "13" and not dialog.dirty_drafts()  # 12 + 1, reread
    assert [line for line in lls(east_dir, "--json", "history") if line["quantity"] == -2] == []

    # Again on what is there now: the removal draws from the chosen certificate on the server.
    click(qtbot, dialog.remove_button)
    removing = child(qtbot, dialog, RemoveLicensesDialog)
    row = next(
        r for r in range(removing.model.rowCount()) if removing.model.purchase(r).purchase_id == certificate
    )
    removing.table.selectRow(row)
    removing.quantity.lineEdit().selectAll()
    qtbot.keyClicks(removing.quantity, "2")
    boxes.answer(Button.Yes)
    click(qtbot, removing.ok_button)
    qtbot.waitUntil(lambda: dialog.connections.text() == "11")
    with qtbot.waitSignal(dialog.finished, timeout=10_000):
        click(qtbot, dialog.ok_button)
    removed = [line for line in lls(east_dir, "--json", "history") if line["quantity"] == -2]
    assert [(line["certificate"], line["administrator"]) for line in removed] == [
        (certificate, window.administrator)
    ]


def test_per_seat_on_a_server_is_one_way_and_a_stopped_server_keeps_the_edits(
    seeded: Store,
    enterprise: dict[str, Any],  # noqa: F811
    services: Services,  # noqa: F811
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    snapshot: Snapshot,
    boxes: MessageBoxes,
) -> None:
    window = _connected_manager(open_manager, enterprise, qtbot)
    nt_dir, nt = enterprise["servers"][NT]
    _connect(_double_click(window, qtbot, NT, "SQL Server"), f"127.0.0.1:{nt.port}", nt.admin_token_file)
    dialog = _loaded(window, qtbot)

    # The Per Seat change with its warning; the server stops before OK: one line, the change stays.
    boxes.answer(Button.Yes)
    click(qtbot, dialog.per_seat)
    assert dialog.per_seat.isChecked()
    services.stop(nt)
    click(qtbot, dialog.ok_button)
    with qtbot.waitSignal(dialog.not_saved, timeout=20_000):
        _agree(qtbot, dialog)
    _title, text, informative = boxes.seen[-1]
    assert text.startswith("The server could not save the change") and "does not answer" in informative
    assert len([line for line in informative.splitlines() if line]) == 2  # the reason, then what to do
    assert dialog.isVisible() and dialog.per_seat.isChecked() and dialog.dirty_drafts()
    assert dialog.ok_button.isEnabled() and dialog.cancel_button.isEnabled()

    # The server is back (same address): OK again writes the agreed change, once.
    restarted = services.start(nt_dir, port=nt.port)
    with qtbot.waitSignal(dialog.finished, timeout=20_000):
        click(qtbot, dialog.ok_button)
    product = next(p for p in lls(nt_dir, "--json", "product", "list") if p["name"] == "SQL Server")
    assert product["mode"] == "per-seat"

    # Back to Per Server is refused as locally (one-time, one-way), nothing written.
    _double_click(window, qtbot, NT, "SQL Server")
    dialog = _loaded(window, qtbot)
    assert dialog.per_seat.isChecked()
    click(qtbot, dialog.per_server)
    assert "one-way" in boxes.texts[-1] and dialog.per_seat.isChecked() and not dialog.dirty_drafts()
    dialog.reject()
    qtbot.waitUntil(lambda: window.child_dialog is None)
    product = next(p for p in lls(nt_dir, "--json", "product", "list") if p["name"] == "SQL Server")
    assert product["mode"] == "per-seat"

    # The remembered connection no longer answers: the connect step opens and says why.
    services.stop(restarted)
    step = _double_click(window, qtbot, NT, "SQL Server")
    assert isinstance(step, ServerConnectDialog)
    qtbot.waitUntil(lambda: "does not answer" in step.error.text(), timeout=20_000)
    assert step.connection.address.text() == f"127.0.0.1:{nt.port}"
    assert step.connection.token_file.text() == str(nt.admin_token_file)
