"""License Manager's dialogs driven with clicks and keys; what reached the store is checked."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from applet.store import Store
from applet.ui.manager.chart import ChartData, UsageChart
from applet.ui.manager.dialogs.client_properties import ClientPropertiesDialog
from applet.ui.manager.dialogs.group_edit import GroupEditDialog
from applet.ui.manager.dialogs.license_groups import LicenseGroupsDialog
from applet.ui.manager.dialogs.new_license import NewLicenseDialog
from applet.ui.manager.dialogs.product_properties import ProductPropertiesDialog
from applet.ui.manager.window import CLIENTS, HISTORY, SERVERS, ManagerWindow

Snapshot = Callable[[QWidget, str], Path]


def _open_new_license(manager: ManagerWindow, qtbot: QtBot) -> NewLicenseDialog:
    qtbot.keyClick(manager, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(manager.child_dialog, NewLicenseDialog))
    dialog = manager.child_dialog
    assert isinstance(dialog, NewLicenseDialog)
    return dialog


def test_new_license_records_a_purchase(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot, snapshot: Snapshot
) -> None:
    dialog = _open_new_license(manager, qtbot)
    dialog.product_box.setCurrentText("Mail Server")
    assert dialog.per_seat.isChecked()  # the product's mode is preselected
    assert not dialog.ok_button.isEnabled()  # no agreement yet
    dialog.quantity.selectAll()
    qtbot.keyClicks(dialog.quantity, "25")
    qtbot.keyClicks(dialog.comment, "PO 99")
    qtbot.mouseClick(dialog.agree, Qt.MouseButton.LeftButton)
    assert dialog.ok_button.isEnabled()
    snapshot(dialog, "new-license")
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    line = seeded.ledger.history("Mail Server")[0]
    assert (line.quantity, line.comment, line.mode.value) == (25, "PO 99", "per-seat")
    manager.tabs.setCurrentIndex(HISTORY)
    qtbot.waitUntil(lambda: manager.history.model.rowCount() == 4)


def test_new_license_refuses_a_negative_quantity_and_changes_nothing(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot
) -> None:
    before = seeded.ledger.history_count()
    dialog = _open_new_license(manager, qtbot)
    dialog.quantity.selectAll()
    qtbot.keyClicks(dialog.quantity, "-5")
    assert dialog.quantity.value() >= 1 and "-" not in dialog.quantity.text()
    with qtbot.waitSignal(dialog.finished):
        qtbot.keyClick(dialog.comment, Qt.Key.Key_Escape)
    assert seeded.ledger.history_count() == before


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes give up on another program's lock after 0.2 s (the store's ``$LLS_BUSY_TIMEOUT``, which
    License Manager's gateway reads when the window opens)."""
    monkeypatch.setenv("LLS_BUSY_TIMEOUT", "0.2")


@pytest.mark.usefixtures("short_busy_timeout")
def test_a_locked_store_keeps_the_dialog_and_what_was_typed(
    manager: ManagerWindow,
    seeded: Store,
    data_dir: Path,
    qtbot: QtBot,
    boxes: object,
) -> None:
    dialog = _open_new_license(manager, qtbot)
    dialog.product_box.setCurrentText("Web Server")
    qtbot.keyClicks(dialog.comment, "during a lock")
    dialog.agree.setChecked(True)
    blocker = sqlite3.connect(data_dir / "licensing.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(boxes.seen) == 1, timeout=10_000)  # type: ignore[attr-defined]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "locked" in boxes.texts[0]  # type: ignore[attr-defined]
    assert dialog.isVisible() and dialog.comment.text() == "during a lock"
    assert seeded.ledger.history_count(text="during a lock") == 0
    # Once the lock is gone the same click goes through.
    with qtbot.waitSignal(dialog.finished, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert seeded.ledger.history_count(text="during a lock") == 1


def _open_groups(manager: ManagerWindow, qtbot: QtBot) -> LicenseGroupsDialog:
    qtbot.keyClick(manager, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    dialog = manager.child_dialog
    assert isinstance(dialog, LicenseGroupsDialog)
    qtbot.waitUntil(lambda: dialog.loaded)
    return dialog


def _save_group(dialog: GroupEditDialog, qtbot: QtBot) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_license_groups_new_edit_delete(
    manager: ManagerWindow,
    seeded: Store,
    qtbot: QtBot,
    boxes: object,
    snapshot: Snapshot,
    qtmodeltester: ModelTester,
) -> None:
    groups = _open_groups(manager, qtbot)
    qtbot.mouseClick(groups.new_button, Qt.MouseButton.LeftButton)
    editor = groups.child_dialog
    assert isinstance(editor, GroupEditDialog)
    qtbot.keyClicks(editor.name, "Lab")
    qtbot.keyClicks(editor.description, "Shift workers")
    editor.licenses.selectAll()
    qtbot.keyClicks(editor.licenses, "3")
    for user in ("alice", "carol"):
        qtbot.keyClicks(editor.member_input, user)
        qtbot.keyClick(editor.member_input, Qt.Key.Key_Return)
    assert editor.member_names() == ["alice", "carol"]
    snapshot(editor, "group-edit")
    _save_group(editor, qtbot)
    qtbot.waitUntil(lambda: groups.model.rowCount() == 1 and groups.loaded)
    group = seeded.groups.get("Lab")
    assert (group.licenses, group.description, group.members) == (3, "Shift workers", ("alice", "carol"))
    snapshot(groups, "license-groups")
    qtmodeltester.check(groups.model, force_py=True)

    # Edit: rename, remove a member.
    groups.view.selectRow(0)
    qtbot.mouseClick(groups.edit_button, Qt.MouseButton.LeftButton)
    editor = groups.child_dialog
    assert isinstance(editor, GroupEditDialog)
    editor.name.selectAll()
    qtbot.keyClicks(editor.name, "Lab 2")
    editor.members.item(1).setSelected(True)
    qtbot.mouseClick(editor.remove_member, Qt.MouseButton.LeftButton)
    _save_group(editor, qtbot)
    qtbot.waitUntil(
        lambda: groups.loaded and groups.model.rowCount() == 1 and groups.model.record(0).name == "Lab 2"
    )
    assert seeded.groups.get("Lab 2").members == ("alice",)

    # Delete, after saying No once.
    groups.view.selectRow(0)
    boxes.answer(QMessageBox.StandardButton.No)  # type: ignore[attr-defined]
    qtbot.mouseClick(groups.delete_button, Qt.MouseButton.LeftButton)
    assert len(seeded.groups.list()) == 1
    boxes.answer(QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
    qtbot.mouseClick(groups.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: groups.loaded and groups.model.rowCount() == 0)
    assert seeded.groups.list() == []


def test_a_group_without_a_name_or_with_a_taken_name_is_refused(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot, boxes: object
) -> None:
    seeded.groups.add("Lab", 2, "tester")
    groups = _open_groups(manager, qtbot)
    qtbot.mouseClick(groups.new_button, Qt.MouseButton.LeftButton)
    editor = groups.child_dialog
    assert isinstance(editor, GroupEditDialog)
    qtbot.keyClicks(editor.member_input, "zoe")
    _save_group(editor, qtbot)
    qtbot.waitUntil(lambda: len(boxes.seen) == 1)  # type: ignore[attr-defined]
    assert "must not be empty" in boxes.texts[0]  # type: ignore[attr-defined]
    assert editor.isVisible() and editor.member_names() == ["zoe"]
    qtbot.keyClicks(editor.name, "lab")
    _save_group(editor, qtbot)
    qtbot.waitUntil(lambda: len(boxes.seen) == 2)  # type: ignore[attr-defined]
    assert "already exists" in boxes.texts[1]  # type: ignore[attr-defined]
    assert [group.name for group in seeded.groups.list()] == ["Lab"]
    assert seeded.groups.get("Lab").members == ()


def test_product_properties_show_purchases_clients_servers_and_usage(
    manager: ManagerWindow, qtbot: QtBot, snapshot: Snapshot, qtmodeltester: ModelTester
) -> None:
    view = manager.products.view
    row = next(r for r in range(3) if manager.products.model.record(r).name == "Web Server")
    view.setFocus()
    view.selectRow(row)
    qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.AltModifier)
    dialog = manager.child_dialog
    assert isinstance(dialog, ProductPropertiesDialog)
    qtbot.waitUntil(lambda: dialog.loaded and dialog.usage.loaded)
    assert [dialog.purchases.record(r).quantity for r in range(dialog.purchases.rowCount())] == [2, 3]
    assert dialog.servers.rowCount() == 1
    chart = dialog.usage.chart.data
    assert chart.limit == 5 and chart.peak is not None and chart.peak[1] == 4
    for model in (dialog.purchases, dialog.clients, dialog.servers):
        qtmodeltester.check(model, force_py=True)
    snapshot(dialog, "product-properties")
    dialog.tabs.setCurrentIndex(3)
    snapshot(dialog, "product-properties-usage")
    dialog.usage.range_box.setCurrentIndex(2)
    qtbot.waitUntil(lambda: dialog.usage.loaded and dialog.usage.chart.data.bucket == 24 * 60)


def test_client_properties_revoke_then_delete(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot, boxes: object, snapshot: Snapshot
) -> None:
    mail = seeded.products.get("Web Server")
    assert mail is not None
    manager.tabs.setCurrentIndex(CLIENTS)
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)
    manager.clients.view.selectRow(1)  # bob
    manager.properties_action.trigger()
    dialog = manager.child_dialog
    assert isinstance(dialog, ClientPropertiesDialog)
    qtbot.waitUntil(lambda: dialog.loaded and dialog.model.rowCount() == 1)
    snapshot(dialog, "client-properties")
    dialog.view.selectRow(0)
    boxes.answer(QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.loaded and dialog.model.rowCount() == 0)
    assert seeded.clients.usage(user="bob") == []
    assert seeded.clients.usage(user="carol")[0].licensed  # the freed license went to carol
    dialog.reject()

    manager.clients.view.selectRow(0)
    manager.properties_action.trigger()
    dialog = manager.child_dialog
    assert isinstance(dialog, ClientPropertiesDialog) and dialog.user == "alice"
    qtbot.waitUntil(lambda: dialog.loaded and dialog.model.rowCount() == 1)
    boxes.answer(QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert seeded.clients.usage(user="alice") == []


def test_server_browser_double_click_opens_choose_licensing_mode(
    manager: ManagerWindow, qtbot: QtBot, snapshot: Snapshot
) -> None:
    from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog

    manager.tabs.setCurrentIndex(SERVERS)
    qtbot.waitUntil(
        lambda: manager.servers.model.rowCount() == 1 and manager.servers.model.item(0).rowCount() == 1
    )
    server = manager.servers.model.item(0).child(0).child(0)
    product = next(
        server.child(i) for i in range(server.rowCount()) if server.child(i).text() == "Web Server"
    )
    view = manager.servers.view
    rect = view.visualRect(product.index())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = manager.child_dialog
    assert isinstance(dialog, ChooseLicensingModeDialog)
    assert dialog.isVisible()
    # Read on the window's gateway (no store of its own, nothing on the UI thread), then shown.
    assert dialog.gateway is manager.gateway
    if not dialog.is_loaded:
        with qtbot.waitSignal(dialog.loaded):
            pass
    snapshot(dialog, "choose-mode-from-manager")
    assert [dialog.product_combo.itemText(i) for i in range(dialog.product_combo.count())] == ["Web Server"]
    assert dialog.connections.text() == "5" and dialog.administrator == manager.administrator
    dialog.reject()


def test_export_csv_of_every_tab_and_the_compliance_report(
    manager: ManagerWindow, qtbot: QtBot, tmp_path: Path, snapshot: Snapshot
) -> None:
    for tab in range(5):
        manager.tabs.setCurrentIndex(tab)
        target = tmp_path / f"tab{tab}.csv"
        qtbot.waitUntil(lambda: manager.current_view().model().rowCount() > 0)
        if tab == SERVERS:
            qtbot.waitUntil(lambda: manager.servers.model.item(0).rowCount() > 0)
        manager.export_action.trigger()
        chooser = manager.exporter.file_dialog
        assert chooser is not None
        if tab == 0:
            snapshot(chooser, "export-file-dialog")
        chooser.selectFile(str(target))
        chooser.accept()
        qtbot.waitUntil(target.exists)
        lines = target.read_text(encoding="utf-8").splitlines()
        assert len(lines) >= 2
    assert "PO 17" in (tmp_path / "tab0.csv").read_text()
    assert (tmp_path / "tab2.csv").read_text().splitlines()[0].startswith("User,Licensed Usage")
    report = tmp_path / "report.html"
    manager.export_compliance_report(report)
    qtbot.waitUntil(report.exists)
    text = report.read_text(encoding="utf-8")
    assert "Mail Server" in text and "Over the limit" in text and "<table>" in text


def test_export_to_an_unwritable_path_says_so_and_writes_nothing(
    manager: ManagerWindow, qtbot: QtBot, tmp_path: Path, boxes: object
) -> None:
    target = tmp_path / "no-such-folder" / "products.csv"
    manager.export_csv(target)
    qtbot.waitUntil(lambda: len(boxes.seen) == 1)  # type: ignore[attr-defined]
    assert str(target) in boxes.texts[0]  # type: ignore[attr-defined]
    assert not target.parent.exists()
    assert manager.isVisible()


def test_the_usage_chart_marks_the_peak_and_the_limit(qtbot: QtBot, snapshot: Snapshot) -> None:
    chart = UsageChart()
    qtbot.addWidget(chart)
    chart.resize(520, 240)
    chart.set_data(ChartData(((1000, 2), (1010, 9), (1020, 4)), 6, 990, 1030, 10))
    assert chart.data.peak == (1010, 9)
    assert "Peak 9" in chart.accessibleDescription() and "limit 6" in chart.accessibleDescription()
    image = chart.grab().toImage()
    assert not image.isNull()
    snapshot(chart, "usage-chart")
    chart.set_data(ChartData((), 3, 0, 100, 10))
    assert "No usage" in chart.accessibleDescription()


def test_right_click_menus_and_server_replication(
    manager: ManagerWindow, qtbot: QtBot, snapshot: Snapshot
) -> None:
    from applet.ui.licensing.replication import ReplicationDialog

    manager.tabs.setCurrentIndex(CLIENTS)
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)
    view = manager.clients.view
    point = view.visualRect(manager.clients.model.index(1, 0)).center()
    menu = manager.context_menu_for(view, point)
    texts = [action.text() for action in menu.actions() if action.text()]
    assert texts[:2] == ["&Properties", "&Delete"] and manager.selected_record().user == "bob"
    snapshot(menu, "clients-context-menu")

    manager.tabs.setCurrentIndex(SERVERS)
    qtbot.waitUntil(lambda: manager.servers.model.item(0).rowCount() == 1)
    server = manager.servers.model.item(0).child(0).child(0)
    tree = manager.servers.view
    menu = manager.context_menu_for(tree, tree.visualRect(server.index()).center())
    replication = next(action for action in menu.actions() if action.text() == "&Replication...")
    replication.trigger()
    dialog = manager.child_dialog
    assert isinstance(dialog, ReplicationDialog) and dialog.isVisible()
    assert dialog.gateway is manager.gateway
    if not dialog.is_loaded:
        with qtbot.waitSignal(dialog.loaded):
            pass
    snapshot(dialog, "replication-from-manager")
    assert dialog.fields.domain_controller.isChecked() and dialog.fields.every_hours.value() == 24
    dialog.reject()
