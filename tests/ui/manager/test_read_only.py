"""The Licensing applet and License Manager opened by a user who is not an administrator of a machine-wide
store: the line of applet.store.access is shown, every edit action is disabled, the data stays readable,
and nothing reaches the store.

The decision is made by :func:`decide_access` on the facts of such a user (the test itself runs as
whoever runs it); tests/cli/test_admin_access.py covers the real other-user process.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from applet.store import Store
from applet.store.access import AdminAccess, CallerFacts, StoreFacts, decide_access
from applet.store.paths import resolve_paths
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.manager.dialogs.client_properties import ClientPropertiesDialog
from applet.ui.manager.window import CLIENTS, SERVERS, ManagerWindow
from tests.conftest import snapshot as store_rows

Snapshot = Callable[[QWidget, str], Path]


@pytest.fixture
def not_an_administrator(data_dir: Path) -> AdminAccess:
    """alice, in no administrator group, on the test's store taken as machine-wide (owned by root)."""
    access = decide_access(
        CallerFacts("alice", 1000, frozenset({"alice", "users"})),
        StoreFacts(data_dir, machine_wide=True, owner_uid=0),
        windows=False,
    )
    assert not access.may_change
    return access


def test_the_applet_opens_read_only_with_the_reason(
    seeded: Store,
    gateway: StoreGateway,
    not_an_administrator: AdminAccess,
    qtbot: QtBot,
    data_dir: Path,
    snapshot: Snapshot,
) -> None:
    before = store_rows(data_dir)
    dialog = ChooseLicensingModeDialog(gateway, product="Web Server", access=not_an_administrator)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded), qtbot.waitExposed(dialog):
        dialog.show()
    banner = dialog.read_only_banner
    assert banner.isVisible() and banner.text() == not_an_administrator.reason
    # What is there stays readable: the product, its mode and its count.
    assert dialog.product_combo.currentText() == "Web Server" and dialog.product_combo.isEnabled()
    assert dialog.per_server.isChecked() and dialog.connections.text() == "5"
    for control in (
        dialog.per_server,
        dialog.per_seat,
        dialog.add_button,
        dialog.remove_button,
        dialog.ok_button,
        dialog.replication_button,
    ):
        assert not control.isEnabled(), control.objectName()
    assert dialog.cancel_button.isEnabled() and dialog.help_button.isEnabled()
    # Another product keeps every change disabled too.
    dialog.product_combo.setCurrentText("Mail Server")
    assert not dialog.per_server.isEnabled() and not dialog.add_button.isEnabled()
    # The banner is inside the dialog, wrapped, and not clipped by the fixed-size layout.
    assert banner.geometry().right() <= dialog.width() and banner.height() >= banner.sizeHint().height()
    snapshot(dialog, "applet-read-only")
    # Enter (OK's key) and a direct accept close the dialog without writing anything.
    qtbot.mouseClick(dialog.per_seat, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.finished):
        dialog.accept()
    assert store_rows(data_dir) == before


def test_the_applet_for_an_administrator_has_no_banner(
    seeded: Store, gateway: StoreGateway, qtbot: QtBot
) -> None:
    dialog = ChooseLicensingModeDialog(gateway, access=AdminAccess(True))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    assert not hasattr(dialog, "read_only_banner")
    assert dialog.ok_button.isEnabled() and dialog.add_button.isEnabled()


def test_license_manager_opens_read_only_with_the_reason(
    seeded: Store,
    not_an_administrator: AdminAccess,
    qtbot: QtBot,
    data_dir: Path,
    snapshot: Snapshot,
) -> None:
    before = store_rows(data_dir)
    window = ManagerWindow(resolve_paths(data_dir), poll_interval_ms=100, access=not_an_administrator)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.products.model.rowCount() == 3)
    assert window.read_only_banner.isVisible()
    assert window.read_only_banner.text() == not_an_administrator.reason
    for action in (window.new_license_action, window.groups_action, window.delete_action):
        assert not action.isEnabled(), action.text()
    # Reading still works: every tab, Properties, the exports.
    assert window.properties_action.isEnabled() or window.selected_record() is None
    assert window.export_action.isEnabled() and window.report_action.isEnabled()
    # No Start Service: a service on this store is an administrator's to start.
    qtbot.waitUntil(lambda: "stopped" in window.status.service.text())
    assert not window.status.start_button.isVisible()
    # The status bar lays itself out again once the service's state is known: wait for it, then look.
    qtbot.waitUntil(lambda: window.status.service.width() >= window.status.service.sizeHint().width())
    snapshot(window, "manager-read-only")

    window.tabs.setCurrentIndex(CLIENTS)
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 3)
    window.clients.view.setFocus()
    window.clients.view.selectRow(0)
    assert window.properties_action.isEnabled() and not window.delete_action.isEnabled()
    qtbot.keyClick(window.clients.view, Qt.Key.Key_Delete)  # the shortcut of a disabled action: nothing
    menu = window.context_menu_for(
        window.clients.view, window.clients.view.visualRect(window.clients.model.index(0, 0)).center()
    )
    enabled = {action.text(): action.isEnabled() for action in menu.actions() if action.text()}
    assert enabled == {"&Properties": True, "&Delete": False, "&New License...": False, "&Refresh": True}
    window.properties_action.trigger()
    dialog = window.child_dialog
    assert isinstance(dialog, ClientPropertiesDialog)
    qtbot.waitUntil(lambda: dialog.loaded and dialog.model.rowCount() == 1)
    dialog.view.selectRow(0)
    assert not dialog.revoke_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert dialog.model.rowCount() == 1  # alice's Mail Server use is shown
    dialog.reject()

    window.tabs.setCurrentIndex(SERVERS)
    qtbot.waitUntil(lambda: window.servers.model.rowCount() == 1 and window.servers.model.item(0).rowCount())
    server = window.servers.model.item(0).child(0).child(0)
    tree = window.servers.view
    menu = window.context_menu_for(tree, tree.visualRect(server.index()).center())
    replication = next(action for action in menu.actions() if action.text() == "&Replication...")
    assert not replication.isEnabled()
    product = next(
        server.child(i) for i in range(server.rowCount()) if server.child(i).text() == "Web Server"
    )
    window.servers.choose_licensing_mode(product.text())
    applet = window.child_dialog
    assert isinstance(applet, ChooseLicensingModeDialog)
    if not applet.is_loaded:
        with qtbot.waitSignal(applet.loaded):
            pass
    assert applet.read_only_banner.text() == not_an_administrator.reason
    assert not applet.ok_button.isEnabled() and not applet.add_button.isEnabled()
    snapshot(applet, "manager-choose-mode-read-only")
    applet.reject()
    assert store_rows(data_dir) == before
