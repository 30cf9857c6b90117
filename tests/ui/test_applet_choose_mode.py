"""Choose Licensing Mode driven as an administrator would: clicks, keys, agreements, OK and Cancel.

Each test checks what reached the store (through the store API, or ``lls --json`` where the CLI is the
natural witness) and saves a PNG of every dialog it meets under its ``tmp_path``. The dialog reads and
writes through the store gateway's worker thread: tests wait on its signals (``loaded``, ``finished``,
``committed``, ``not_saved``), never for a while.
"""

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QDialog, QMessageBox, QRadioButton, QWidget

from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.database import DEFAULT_BUSY_TIMEOUT
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.add_licenses import AddLicensesDialog
from applet.ui.licensing.agreement import AgreementDialog
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.licensing.remove_licenses import RemoveLicensesDialog
from tests.ui.conftest import MessageBoxes

Button = QMessageBox.StandardButton
DialogT = TypeVar("DialogT", bound=QDialog)
Snapshot = Callable[[QWidget, str], Path]

PER_SEAT_WARNING = (
    "Changing the license mode to Per Seat will result in current Per Server license loss. "
    "Press F1 for more help."
)


@pytest.fixture
def seeded(store: Store) -> Store:
    """Two products: SQL Server (Per Server, 25) and Exchange (Per Server, 0)."""
    store.products.add("SQL Server", "setup", limit=25, agreed=True)
    store.products.add("Exchange", "setup")
    return store


def open_dialog(qtbot: Any, gateway: StoreGateway, **options: Any) -> ChooseLicensingModeDialog:
    """Choose Licensing Mode shown, active, and loaded."""
    dialog = ChooseLicensingModeDialog(gateway, **options)
    qtbot.addWidget(dialog)
    # Mnemonics and F1 are window shortcuts: they need the active window.
    with qtbot.waitSignal(dialog.loaded), qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def wait_loaded(qtbot: Any, dialog: Any) -> None:
    """Until ``dialog`` (Choose Licensing Mode, Configure Replication) shows what it read from the store."""
    if not dialog.is_loaded:  # its answer arrives through the event loop, so it cannot slip in between
        with qtbot.waitSignal(dialog.loaded):
            pass


def child(qtbot: Any, dialog: ChooseLicensingModeDialog, kind: type[DialogT]) -> DialogT:
    """The sub-dialog of ``kind`` the applet has opened (waits until it is shown)."""
    qtbot.waitUntil(lambda: isinstance(dialog.child_dialog, kind) and dialog.child_dialog.isVisible())
    opened = dialog.child_dialog
    assert isinstance(opened, kind)
    return opened


def click(qtbot: Any, widget: QWidget) -> None:
    """A left click where a person would click (on a radio button or check box: its indicator)."""
    indicator = isinstance(widget, QRadioButton | QCheckBox)
    position = QPoint(8, widget.height() // 2) if indicator else widget.rect().center()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=position)


def press(
    qtbot: Any, widget: QWidget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key pressed on ``widget``'s window, through the platform path that shortcuts and mnemonics use."""
    window = widget.window().windowHandle()
    assert window is not None
    qtbot.keyClick(window, key, modifier)


def select_product(qtbot: Any, dialog: ChooseLicensingModeDialog, name: str) -> None:
    index = dialog.product_combo.findText(name)
    assert index >= 0, name
    dialog.product_combo.setFocus()
    while dialog.product_combo.currentIndex() != index:
        key = Qt.Key.Key_Down if dialog.product_combo.currentIndex() < index else Qt.Key.Key_Up
        qtbot.keyClick(dialog.product_combo, key)


def add_licenses(
    qtbot: Any, dialog: ChooseLicensingModeDialog, quantity: str, comment: str, snapshot: Snapshot
) -> AgreementDialog:
    click(qtbot, dialog.add_button)
    adding = child(qtbot, dialog, AddLicensesDialog)
    adding.quantity.lineEdit().selectAll()
    qtbot.keyClicks(adding.quantity, quantity)
    qtbot.keyClicks(adding.comment, comment)
    snapshot(adding, "add-licenses")
    qtbot.keyClick(adding.comment, Qt.Key.Key_Return)
    return child(qtbot, dialog, AgreementDialog)


def agree(qtbot: Any, agreement: AgreementDialog, snapshot: Snapshot, name: str) -> None:
    assert not agreement.ok_button.isEnabled()  # the check box alone enables OK
    snapshot(agreement, name)
    click(qtbot, agreement.agree)
    assert agreement.ok_button.isEnabled()
    click(qtbot, agreement.ok_button)
    qtbot.waitUntil(lambda: not agreement.isVisible())


def test_shows_each_products_mode_and_connections(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    snapshot(dialog, "choose-licensing-mode")
    names = [dialog.product_combo.itemText(i) for i in range(dialog.product_combo.count())]
    assert names == [record.name for record in seeded.products.list()]
    assert dialog.per_server.isChecked() and dialog.connections.text() == "25"
    assert dialog.add_button.isEnabled() and dialog.remove_button.isEnabled()
    select_product(qtbot, dialog, "Exchange")
    assert dialog.connections.text() == "0"
    assert dialog.add_button.isEnabled() and not dialog.remove_button.isEnabled()  # nothing to remove


def test_it_shows_loading_with_the_controls_off_until_the_products_arrive(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot
) -> None:
    dialog = ChooseLicensingModeDialog(gateway, product="SQL Server")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
        assert not dialog.is_loaded  # nothing was read on the UI thread
        snapshot(dialog, "choose-licensing-mode-loading")
        assert dialog.product_combo.placeholderText() == "Loading…" and dialog.product_combo.count() == 0
        assert not dialog.product_combo.isEnabled() and not dialog.mode_group.isEnabled()
        assert not dialog.ok_button.isEnabled() and not dialog.replication_button.isEnabled()
        assert dialog.cancel_button.isEnabled() and dialog.help_button.isEnabled()
        assert not dialog.empty_label.isVisible()
    assert dialog.product_combo.currentText() == "SQL Server" and dialog.ok_button.isEnabled()
    assert dialog.mode_group.isEnabled() and dialog.connections.text() == "25"


def test_with_no_product_registered_it_says_so_and_stays_usable(
    qtbot: Any, gateway: StoreGateway, store: Store, snapshot: Snapshot
) -> None:
    # The built-in product cannot be removed through the API; hide it as an empty registry would.
    store.db.connection.execute("UPDATE products SET removed = '2026-01-01T00:00:00+00:00'")
    dialog = open_dialog(qtbot, gateway)
    snapshot(dialog, "no-products")
    assert dialog.empty_label.isVisible()
    assert dialog.empty_label.text() == "No services have been registered to use Licensing."
    assert not dialog.mode_group.isEnabled()
    assert dialog.replication_button.isEnabled() and dialog.help_button.isEnabled()


def test_add_licenses_with_agreement_is_written_on_ok(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, lls: Any
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server", administrator="alice")
    agreement = add_licenses(qtbot, dialog, "12", "PO 4411", snapshot)
    agree(qtbot, agreement, snapshot, "agreement-per-server")
    assert dialog.connections.text() == "37"
    assert seeded.products.get("SQL Server").concurrent_limit == 25  # staged, not yet written
    with qtbot.waitSignal(dialog.committed):
        click(qtbot, dialog.ok_button)
    assert dialog.result() == QDialog.DialogCode.Accepted
    shown = lls("--json", "product", "show", "SQL Server").json()
    assert shown["concurrent_limit"] == 37
    newest = seeded.ledger.history("SQL Server")[0]
    assert (newest.quantity, newest.comment, newest.administrator) == (12, "PO 4411", "alice")


def test_refusing_the_agreement_adds_nothing(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    agreement = add_licenses(qtbot, dialog, "5", "", snapshot)
    click(qtbot, agreement.buttons.button(agreement.buttons.StandardButton.Cancel))
    qtbot.waitUntil(lambda: not agreement.isVisible())
    assert dialog.connections.text() == "25"
    assert not dialog.dirty_drafts()
    click(qtbot, dialog.ok_button)
    assert seeded.products.get("SQL Server").concurrent_limit == 25


def test_add_quantity_is_limited_to_999999(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot
) -> None:
    dialog = open_dialog(qtbot, gateway, product="Exchange")
    click(qtbot, dialog.add_button)
    adding = child(qtbot, dialog, AddLicensesDialog)
    adding.quantity.lineEdit().selectAll()
    qtbot.keyClicks(adding.quantity, "12345678")  # the spin box refuses the digits beyond its range
    assert adding.quantity.value() == 123_456
    qtbot.keyClick(adding.quantity, Qt.Key.Key_Return)
    agreement = child(qtbot, dialog, AgreementDialog)
    agree(qtbot, agreement, snapshot, "agreement-large")
    assert dialog.connections.text() == "123,456"


def test_cancel_discards_every_staged_change(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, boxes: Any
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    agree(qtbot, add_licenses(qtbot, dialog, "3", "", snapshot), snapshot, "agreement")
    select_product(qtbot, dialog, "Exchange")
    boxes.answer(Button.Yes)
    click(qtbot, dialog.per_seat)
    assert dialog.per_seat.isChecked()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert seeded.products.get("SQL Server").concurrent_limit == 25
    assert seeded.products.get("Exchange").mode is LicenseMode.PER_SERVER


def test_remove_licenses_by_certificate_records_a_negative_line(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes
) -> None:
    seeded.ledger.add("SQL Server", 10, "bob", True, "PO 77")
    dialog = open_dialog(qtbot, gateway, product="SQL Server", administrator="carol")
    click(qtbot, dialog.remove_button)
    removing = child(qtbot, dialog, RemoveLicensesDialog)
    snapshot(removing, "remove-licenses")
    assert removing.model.rowCount() == 2
    assert removing.model.purchase(0).comment == "PO 77"  # newest first, selected
    removing.quantity.lineEdit().selectAll()
    qtbot.keyClicks(removing.quantity, "99")
    assert removing.quantity.value() <= 10  # no more than the selected certificate brought
    removing.quantity.lineEdit().selectAll()
    qtbot.keyClicks(removing.quantity, "4")
    boxes.answer(Button.Yes)
    click(qtbot, removing.ok_button)
    qtbot.waitUntil(lambda: not removing.isVisible())
    assert boxes.texts[-1] == "Remove 4 Per Server license(s) of SQL Server?"
    assert dialog.connections.text() == "31"
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    line = seeded.ledger.history("SQL Server")[0]
    assert (line.quantity, line.administrator) == (-4, "carol")
    assert "PO 77" in line.comment and line.certificate == removing.model.purchase(0).purchase_id
    assert seeded.products.get("SQL Server").concurrent_limit == 31


def test_remove_licenses_answered_no_removes_nothing(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    click(qtbot, dialog.remove_button)
    removing = child(qtbot, dialog, RemoveLicensesDialog)
    boxes.answer(Button.No)
    click(qtbot, removing.ok_button)
    qtbot.waitUntil(lambda: not removing.isVisible())
    assert dialog.connections.text() == "25" and not dialog.dirty_drafts()


def test_per_seat_flip_warns_then_needs_the_agreement_on_ok(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes, lls: Any
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    boxes.answer(Button.Yes)
    click(qtbot, dialog.per_seat)
    assert boxes.seen[-1][1] == PER_SEAT_WARNING
    assert boxes.seen[-1][2] == "Are you sure you wish to make this change?"
    assert dialog.per_seat.isChecked()
    assert not dialog.add_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert not dialog.connections.isEnabled() and dialog.connections.text() == ""  # no Per Server figure
    snapshot(dialog, "choose-per-seat-staged")
    click(qtbot, dialog.ok_button)
    agreement = child(qtbot, dialog, AgreementDialog)
    assert agreement.windowTitle() == "Per Seat Licensing"
    assert seeded.products.get("SQL Server").mode is LicenseMode.PER_SERVER  # not before agreeing
    with qtbot.waitSignal(dialog.finished):
        agree(qtbot, agreement, snapshot, "agreement-per-seat")
    assert not dialog.isVisible()
    shown = lls("--json", "product", "show", "SQL Server").json()
    assert shown["mode"] == "per-seat" and shown["flip_allowed"] is False
    # The 25 Per Server licenses were given up by one history line, as the warning said.
    given_up = lls("--json", "history", "--product", "SQL Server").json()[0]
    assert (given_up["quantity"], given_up["kind"]) == (-25, "mode-change")
    assert seeded.products.get("SQL Server").per_server_licenses == 0


def test_refusing_the_per_seat_agreement_keeps_the_dialog_and_writes_nothing(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    boxes.answer(Button.Yes)
    click(qtbot, dialog.per_seat)
    click(qtbot, dialog.ok_button)
    agreement = child(qtbot, dialog, AgreementDialog)
    qtbot.keyClick(agreement, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not agreement.isVisible())
    assert dialog.isVisible() and dialog.per_seat.isChecked()
    assert seeded.products.get("SQL Server").mode is LicenseMode.PER_SERVER


def test_answering_no_to_the_warning_keeps_per_server(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    boxes.answer(Button.No)
    click(qtbot, dialog.per_seat)
    assert dialog.per_server.isChecked() and not dialog.per_seat.isChecked()
    assert not dialog.dirty_drafts()


def test_per_server_after_the_flip_is_refused_as_one_way(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes, snapshot: Snapshot
) -> None:
    seeded.products.change_mode("SQL Server", LicenseMode.PER_SEAT, True, "setup")
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    assert dialog.per_seat.isChecked()
    click(qtbot, dialog.per_server)
    title, text, _ = boxes.seen[-1]
    assert title == "License Violation"
    assert "one-time and one-way" in text and "SQL Server" in text
    assert dialog.per_seat.isChecked() and not dialog.per_server.isChecked()  # never silently changed
    click(qtbot, dialog.ok_button)
    assert seeded.products.get("SQL Server").mode is LicenseMode.PER_SEAT


def test_a_staged_flip_can_be_taken_back_before_ok(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    boxes.answer(Button.Yes)
    click(qtbot, dialog.per_seat)
    click(qtbot, dialog.per_server)
    assert dialog.per_server.isChecked() and not dialog.dirty_drafts()
    assert len(boxes.seen) == 1  # no License Violation for a change that was never written


def test_ok_commits_every_product_edited(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    agree(qtbot, add_licenses(qtbot, dialog, "5", "first", snapshot), snapshot, "agreement-1")
    select_product(qtbot, dialog, "Exchange")
    agree(qtbot, add_licenses(qtbot, dialog, "7", "second", snapshot), snapshot, "agreement-2")
    select_product(qtbot, dialog, "SQL Server")
    assert dialog.connections.text() == "30"  # each product keeps its own staged count
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    assert seeded.products.get("SQL Server").concurrent_limit == 30
    assert seeded.products.get("Exchange").concurrent_limit == 7


def test_a_change_made_meanwhile_is_not_overwritten(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes, lls: Any
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    agree(qtbot, add_licenses(qtbot, dialog, "5", "", snapshot), snapshot, "agreement")
    assert lls("licenses", "add", "SQL Server", "100", "--agree").code == 0  # another administrator
    with qtbot.waitSignal(dialog.loaded):  # refused, said so, and read the product again
        click(qtbot, dialog.ok_button)
    assert dialog.isVisible()
    assert "was changed by someone else" in boxes.texts[-1]
    assert dialog.connections.text() == "125"  # reloaded from the store
    assert seeded.products.get("SQL Server").concurrent_limit == 125  # our 5 were not written
    click(qtbot, dialog.ok_button)  # nothing staged any more: OK just closes
    assert not dialog.isVisible()


def test_a_locked_store_keeps_everything_typed(
    qtbot: Any, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes
) -> None:
    impatient = StoreGateway(seeded.paths, busy_timeout=0.2)
    try:
        dialog = open_dialog(qtbot, impatient, product="SQL Server")
        agree(qtbot, add_licenses(qtbot, dialog, "5", "kept", snapshot), snapshot, "agreement")
        locker = sqlite3.connect(seeded.paths.database, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            with qtbot.waitSignal(dialog.not_saved):
                click(qtbot, dialog.ok_button)
            assert dialog.isVisible()
            assert boxes.seen[-1][1].startswith("The license store could not be written")
            assert dialog.connections.text() == "30" and dialog.dirty_drafts()
            assert dialog.ok_button.isEnabled() and dialog.cancel_button.isEnabled()
            assert dialog.ok_button.text() == "OK"
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        with qtbot.waitSignal(dialog.finished):
            click(qtbot, dialog.ok_button)  # the administrator tries again once the store is free
        assert not dialog.isVisible()
    finally:
        impatient.close()
    lines = [line for line in seeded.ledger.history("SQL Server") if line.comment == "kept"]
    assert [line.quantity for line in lines] == [5]  # written exactly once


def test_ok_waits_the_busy_timeout_the_store_is_configured_with(
    qtbot: Any,
    seeded: Store,
    snapshot: Snapshot,
    boxes: MessageBoxes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The applet's gateway waits ``$LLS_BUSY_TIMEOUT`` for another program's write lock, as every
    other store user does, not a timeout of its own (it used to wait 2 s whatever was configured)."""
    monkeypatch.setenv("LLS_BUSY_TIMEOUT", "0.3")
    configured = StoreGateway(seeded.paths)  # as the applet builds it: no timeout given
    try:
        dialog = open_dialog(qtbot, configured, product="SQL Server")
        agree(qtbot, add_licenses(qtbot, dialog, "5", "configured", snapshot), snapshot, "agreement")
        locker = sqlite3.connect(seeded.paths.database, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
        try:
            started = time.monotonic()
            with qtbot.waitSignal(dialog.not_saved, timeout=10_000):
                click(qtbot, dialog.ok_button)
            waited = time.monotonic() - started
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert 0.25 <= waited < 1.5, waited  # about 0.3 s, well short of 2 s
        assert boxes.seen[-1][1].startswith("The license store could not be written")
        assert dialog.isVisible() and dialog.dirty_drafts() and dialog.connections.text() == "30"
    finally:
        configured.close()
    assert seeded.products.get("SQL Server").concurrent_limit == 25


def test_a_busy_store_never_freezes_the_dialog(
    qtbot: Any, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes
) -> None:
    """OK waits the store's full busy timeout (5 s) for another program's write lock on the gateway's
    worker: meanwhile the UI thread keeps handling events, and afterwards the administrator reads why."""
    patient = StoreGateway(seeded.paths, busy_timeout=DEFAULT_BUSY_TIMEOUT)
    try:
        dialog = open_dialog(qtbot, patient, product="SQL Server")
        agree(qtbot, add_licenses(qtbot, dialog, "5", "busy", snapshot), snapshot, "agreement")
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        locker = sqlite3.connect(seeded.paths.database, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
        try:
            timer.start()
            started = time.monotonic()
            with qtbot.waitSignal(dialog.not_saved, timeout=int(DEFAULT_BUSY_TIMEOUT * 1000) + 10_000):
                click(qtbot, dialog.ok_button)
                # OK returned at once: the write waits on the worker, the dialog says it is busy.
                assert time.monotonic() - started < 1.0
                assert not dialog.ok_button.isEnabled() and not dialog.cancel_button.isEnabled()
                assert dialog.ok_button.text() == "Saving…"
                snapshot(dialog, "choose-licensing-mode-writing")
            waited = time.monotonic() - started
            timer.stop()
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert waited >= DEFAULT_BUSY_TIMEOUT * 0.9  # the write really waited for the lock
        during = [tick for tick in ticks if tick <= started + waited]
        gaps = [later - earlier for earlier, later in zip([started, *during], during, strict=False)]
        # A 50 ms timer on a shared machine: many ticks, and never a second without one.
        assert len(during) >= DEFAULT_BUSY_TIMEOUT / 0.05 / 4, len(during)
        assert max(gaps) < 1.0, max(gaps)
        assert boxes.seen[-1][1].startswith("The license store could not be written")
        assert "locked" in boxes.seen[-1][2] or "busy" in boxes.seen[-1][2], boxes.seen[-1][2]
        assert dialog.isVisible() and dialog.dirty_drafts() and dialog.connections.text() == "30"
    finally:
        patient.close()
    assert seeded.products.get("SQL Server").concurrent_limit == 25


def test_keyboard_enter_accepts_and_mnemonics_reach_the_controls(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    boxes.answer(Button.No)
    press(qtbot, dialog, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # Per S&eat
    qtbot.waitUntil(lambda: len(boxes.seen) == 1)
    assert dialog.per_server.isChecked()
    press(qtbot, dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # &Add Licenses...
    adding = child(qtbot, dialog, AddLicensesDialog)
    press(qtbot, adding, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: dialog.child_dialog is None)
    press(qtbot, dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_tab_order_follows_the_layout(qtbot: Any, gateway: StoreGateway, seeded: Store) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    dialog.activateWindow()
    dialog.product_combo.setFocus()
    order = []
    widget: QWidget = dialog.product_combo
    for _ in range(9):
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isEnabled():
            widget = widget.nextInFocusChain()
        order.append(widget.objectName())
    assert order[:8] == [
        "per_server_radio",
        "concurrent_connections_field",
        "add_licenses_button",
        "remove_licenses_button",
        "per_seat_radio",
        "ok_button",
        "cancel_button",
        "replication_button",
    ]


def test_help_button_and_f1_open_the_help_page(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot
) -> None:
    dialog = open_dialog(qtbot, gateway)
    click(qtbot, dialog.help_button)
    viewer = dialog.help_viewer  # type: ignore[attr-defined]
    qtbot.addWidget(viewer)
    qtbot.waitUntil(viewer.isVisible)
    assert "Choose Licensing Mode" in viewer.browser.toPlainText()
    snapshot(viewer, "help")
    viewer.close()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    press(qtbot, dialog, Qt.Key.Key_F1)
    qtbot.waitUntil(viewer.isVisible)


def test_help_in_the_per_seat_warning_opens_the_per_seat_topic_and_asks_again(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    boxes.answer(Button.Help, Button.No)
    click(qtbot, dialog.per_seat)
    viewer = dialog.help_viewer  # type: ignore[attr-defined]
    qtbot.addWidget(viewer)
    assert viewer.isVisible() and "Per Seat" in viewer.browser.toPlainText()
    assert boxes.texts == [PER_SEAT_WARNING, PER_SEAT_WARNING]  # asked again after the help
    assert dialog.per_server.isChecked() and not dialog.dirty_drafts()


def test_arrow_keys_between_the_mode_buttons_go_through_the_same_warning(
    qtbot: Any, gateway: StoreGateway, seeded: Store, boxes: MessageBoxes
) -> None:
    dialog = open_dialog(qtbot, gateway, product="SQL Server")
    dialog.per_server.setFocus()
    boxes.answer(Button.No)
    press(qtbot, dialog, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: len(boxes.seen) == 1)
    assert boxes.texts == [PER_SEAT_WARNING]
    assert dialog.per_server.isChecked() and not dialog.dirty_drafts()


def test_a_conflict_on_one_product_still_saves_and_announces_the_others(
    qtbot: Any, gateway: StoreGateway, seeded: Store, snapshot: Snapshot, boxes: MessageBoxes, lls: Any
) -> None:
    dialog = open_dialog(qtbot, gateway, product="Exchange")
    agree(qtbot, add_licenses(qtbot, dialog, "2", "ok", snapshot), snapshot, "agreement-1")
    select_product(qtbot, dialog, "SQL Server")
    agree(qtbot, add_licenses(qtbot, dialog, "3", "conflict", snapshot), snapshot, "agreement-2")
    assert lls("licenses", "add", "SQL Server", "1", "--agree").code == 0
    with qtbot.waitSignal(dialog.committed):
        click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and "SQL Server was changed" in boxes.texts[-1]
    assert seeded.products.get("Exchange").concurrent_limit == 2  # written (products go by name)
    assert seeded.products.get("SQL Server").concurrent_limit == 26  # ours (3) were not
