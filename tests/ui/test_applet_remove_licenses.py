"""Select Certificate to Remove Licenses, driven by clicks and keys: every purchase is a certificate that
knows what is left on it, spent certificates are hidden, and a removal never draws more than is left
(issue 9, item 1). Each test checks what reached the store and saves PNGs of the dialogs it meets."""

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from applet.domain.products import LicenseMode
from applet.store import Store
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.licensing.remove_licenses import PurchaseTableModel, RemoveLicensesDialog
from tests.ui.conftest import MessageBoxes
from tests.ui.test_applet_choose_mode import Snapshot, add_licenses, agree, child, click, open_dialog

Button = QMessageBox.StandardButton


@pytest.fixture
def certificates(store: Store) -> tuple[Store, int, int]:
    """The issue's example: SQL Server with cert-A (5 licenses) and then cert-B (20)."""
    store.products.add("SQL Server", "setup")
    cert_a = store.ledger.add("SQL Server", 5, "alice", True, "cert-A").purchase_id
    cert_b = store.ledger.add("SQL Server", 20, "alice", True, "cert-B").purchase_id
    return store, cert_a, cert_b


def open_remove(qtbot: Any, dialog: ChooseLicensingModeDialog) -> RemoveLicensesDialog:
    click(qtbot, dialog.remove_button)
    return child(qtbot, dialog, RemoveLicensesDialog)


def shown(removing: RemoveLicensesDialog) -> list[tuple[str, str, str]]:
    """(Comment, Quantity, Remaining) of every row, as displayed."""
    model = removing.model
    return [
        (model.index(row, 3).data(), model.index(row, 1).data(), model.index(row, 2).data())
        for row in range(model.rowCount())
    ]


def click_row(qtbot: Any, removing: RemoveLicensesDialog, comment: str) -> None:
    """Click the row of the certificate with ``comment``."""
    row = next(r for r in range(removing.model.rowCount()) if removing.model.purchase(r).comment == comment)
    rect = removing.table.visualRect(removing.model.index(row, 0))
    qtbot.mouseClick(removing.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert removing.selected_purchase() is not None and removing.selected_purchase().comment == comment


def type_quantity(qtbot: Any, removing: RemoveLicensesDialog, text: str) -> None:
    removing.quantity.lineEdit().selectAll()
    qtbot.keyClicks(removing.quantity, text)


def test_a_certificate_is_drawn_down_once_and_then_hidden(
    qtbot: Any,
    gateway: StoreGateway,
    certificates: tuple[Store, int, int],
    snapshot: Snapshot,
    boxes: MessageBoxes,
) -> None:
    store, cert_a, cert_b = certificates
    dialog = open_dialog(qtbot, gateway, product="SQL Server", administrator="carol")
    removing = open_remove(qtbot, dialog)
    snapshot(removing, "remove-licenses-certificates")
    assert removing.model.headerData(2, Qt.Orientation.Horizontal) == "Remaining"
    assert shown(removing) == [("cert-B", "20", "20"), ("cert-A", "5", "5")]
    click_row(qtbot, removing, "cert-A")
    type_quantity(qtbot, removing, "9")
    assert removing.quantity.maximum() == 5 and removing.quantity.value() <= 5  # what is left on cert-A
    type_quantity(qtbot, removing, "5")
    boxes.answer(Button.Yes)
    click(qtbot, removing.ok_button)
    qtbot.waitUntil(lambda: not removing.isVisible())
    assert dialog.connections.text() == "20"
    # Before OK: the staged removal already spent cert-A, so it is no longer offered.
    again = open_remove(qtbot, dialog)
    assert shown(again) == [("cert-B", "20", "20")]
    qtbot.keyClick(again.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not again.isVisible())
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    line = store.ledger.history("SQL Server")[0]
    assert (line.quantity, line.certificate, line.administrator) == (-5, cert_a, "carol")
    assert "cert-A" in line.comment
    # A new session of the applet: cert-A stays spent and hidden, cert-B keeps its 20.
    reopened = open_dialog(qtbot, gateway, product="SQL Server")
    removing = open_remove(qtbot, reopened)
    snapshot(removing, "remove-licenses-spent-hidden")
    assert shown(removing) == [("cert-B", "20", "20")]
    assert removing.selected_purchase() is not None and removing.selected_purchase().purchase_id == cert_b
    removing.reject()
    assert [
        (c.purchase_id, c.remaining) for c in store.ledger.certificates("SQL Server", LicenseMode.PER_SERVER)
    ] == [(cert_b, 20)]


def test_removing_part_of_a_certificate_leaves_the_rest_on_it(
    qtbot: Any, gateway: StoreGateway, certificates: tuple[Store, int, int], boxes: MessageBoxes
) -> None:
    store, _cert_a, cert_b = certificates
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    removing = open_remove(qtbot, dialog)
    type_quantity(qtbot, removing, "15")  # cert-B, the newest, is selected first
    boxes.answer(Button.Yes)
    qtbot.keyClick(removing.quantity, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not removing.isVisible())
    again = open_remove(qtbot, dialog)
    assert shown(again) == [("cert-B", "20", "5"), ("cert-A", "5", "5")]
    type_quantity(qtbot, again, "7")
    assert again.quantity.maximum() == 5 and again.quantity.value() <= 5  # what is left after the staged 15
    again.reject()
    with qtbot.waitSignal(dialog.finished):
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert {
        c.purchase_id: c.remaining for c in store.ledger.certificates("SQL Server", LicenseMode.PER_SERVER)
    }[cert_b] == 5


def test_without_a_certificate_selected_remove_says_so_and_stages_nothing(
    qtbot: Any,
    gateway: StoreGateway,
    certificates: tuple[Store, int, int],
    boxes: MessageBoxes,
    store_snapshot: Any,
) -> None:
    _store, _cert_a, _cert_b = certificates
    before = store_snapshot()
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    removing = open_remove(qtbot, dialog)
    # Ctrl+click on the selected row takes the selection away.
    rect = removing.table.visualRect(removing.model.index(0, 0))
    qtbot.mouseClick(
        removing.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        rect.center(),
    )
    assert removing.selected_purchase() is None
    click(qtbot, removing.ok_button)
    assert boxes.texts[-1] == "Select the certificate to remove the licenses from."
    assert removing.isVisible() and not dialog.dirty_drafts()
    removing.reject()
    dialog.reject()
    assert store_snapshot() == before


def test_with_only_staged_licenses_left_there_is_no_certificate_to_remove_from(
    qtbot: Any,
    gateway: StoreGateway,
    certificates: tuple[Store, int, int],
    boxes: MessageBoxes,
    snapshot: Snapshot,
) -> None:
    store, cert_a, cert_b = certificates
    store.ledger.remove("SQL Server", 20, "alice", certificate=cert_b)
    store.ledger.remove("SQL Server", 5, "alice", certificate=cert_a)
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    assert not dialog.remove_button.isEnabled()  # every certificate is spent
    agree(qtbot, add_licenses(qtbot, dialog, "3", "PO 9", snapshot), snapshot, "agreement")
    assert dialog.remove_button.isEnabled() and dialog.connections.text() == "3"
    nothing_left = "No certificate of SQL Server has licenses left to remove."
    click(qtbot, dialog.remove_button)  # the certificates are read on the gateway, then the box
    # Licenses added in this dialog become a certificate on OK; until then there is nothing to draw from.
    qtbot.waitUntil(lambda: nothing_left in boxes.texts)
    assert dialog.child_dialog is None
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    assert store.products.get("SQL Server").concurrent_limit == 3


def test_a_certificate_spent_meanwhile_is_not_drawn_twice(
    qtbot: Any, gateway: StoreGateway, certificates: tuple[Store, int, int], boxes: MessageBoxes
) -> None:
    store, cert_a, _cert_b = certificates
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    removing = open_remove(qtbot, dialog)
    click_row(qtbot, removing, "cert-A")
    type_quantity(qtbot, removing, "5")
    boxes.answer(Button.Yes)
    click(qtbot, removing.ok_button)
    qtbot.waitUntil(lambda: not removing.isVisible())
    store.ledger.remove("SQL Server", 5, "someone else", certificate=cert_a)  # the CLI, meanwhile
    with qtbot.waitSignal(dialog.not_saved):
        click(qtbot, dialog.ok_button)
    assert "was changed by someone else" in boxes.texts[-1]
    assert [line.quantity for line in store.ledger.history("SQL Server") if line.certificate == cert_a] == [
        -5
    ]


def test_the_certificate_model_passes_the_model_tester(qtmodeltester: Any, store: Store) -> None:
    store.products.add("SQL Server", "setup", limit=5, agreed=True)
    store.ledger.add("SQL Server", 7, "alice", True, "PO 1")
    store.ledger.remove("SQL Server", 2, "alice")
    model = PurchaseTableModel(store.ledger.certificates("SQL Server", LicenseMode.PER_SERVER))
    qtmodeltester.check(model)
    assert model.columnCount() == 5
    assert [model.index(0, column).data() for column in range(5)][1:] == ["7", "5", "PO 1", "alice"]
    assert model.index(0, 2).data(Qt.ItemDataRole.TextAlignmentRole) == model.index(0, 1).data(
        Qt.ItemDataRole.TextAlignmentRole
    )
