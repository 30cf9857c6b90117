"""Replication, the purchase list model, the staging rules, and the desktop-quality checks
(accessible names, mnemonics, buddies) over every dialog of the applet."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QWidget,
)

from applet.domain.errors import InsufficientLicenses, InvalidInput
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.products import ConcurrentChange
from applet.store.records import ReplicationSettings
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.add_licenses import AddLicensesDialog
from applet.ui.licensing.agreement import AgreementDialog, AgreementKind
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.licensing.edits import ProductDraft, commit_draft
from applet.ui.licensing.help import HelpViewer
from applet.ui.licensing.remove_licenses import PurchaseTableModel, RemoveLicensesDialog
from applet.ui.licensing.replication import ReplicationDialog
from tests.ui.conftest import MessageBoxes
from tests.ui.test_applet_choose_mode import child, click, open_dialog, wait_loaded

Button = QMessageBox.StandardButton
Snapshot = Callable[[QWidget, str], Path]


def test_replication_is_validated_stored_and_read_back(
    qtbot: Any, gateway: StoreGateway, store: Store, snapshot: Snapshot, boxes: MessageBoxes, lls: Any
) -> None:
    dialog = open_dialog(qtbot, gateway)
    click(qtbot, dialog.replication_button)
    replication = child(qtbot, dialog, ReplicationDialog)
    wait_loaded(qtbot, replication)
    assert replication.fields.domain_controller.isChecked() and replication.fields.start_every.isChecked()
    assert replication.fields.every_hours.value() == 24  # the original's default
    assert replication.windowTitle() == "Configure Replication"  # KB193218's name
    assert not replication.fields.server_name.isEnabled()
    snapshot(replication, "replication-default")
    click(qtbot, replication.fields.enterprise_server)
    assert replication.fields.server_name.isEnabled()
    qtbot.keyClicks(replication.fields.server_name, "bad_host!")
    click(qtbot, replication.buttons.button(replication.buttons.StandardButton.Ok))
    assert replication.isVisible()  # refused, nothing lost
    assert "not a host name" in boxes.seen[-1][2]
    assert replication.fields.server_name.text() == "bad_host!"
    assert store.replication.get().master == "domain-controller"
    replication.fields.server_name.clear()
    qtbot.keyClicks(replication.fields.server_name, "\\\\LIC_MASTER:9000")
    click(qtbot, replication.fields.start_at)
    replication.fields.start_time.setTime(QTime(3, 30))
    snapshot(replication, "replication-enterprise")
    with qtbot.waitSignal(replication.finished):
        click(qtbot, replication.buttons.button(replication.buttons.StandardButton.Ok))
    assert dialog.child_dialog is None
    shown = lls("--json", "replication", "show").json()
    assert (shown["master"], shown["enterprise_server"]) == ("enterprise-server", "LIC_MASTER:9000")
    assert (shown["frequency"], shown["start_at"]) == ("start-at", "03:30")
    # Read back by a new dialog.
    click(qtbot, dialog.replication_button)
    again = child(qtbot, dialog, ReplicationDialog)
    wait_loaded(qtbot, again)
    assert again.fields.enterprise_server.isChecked() and again.fields.server_name.text() == "LIC_MASTER:9000"
    assert again.fields.start_at.isChecked() and again.fields.start_time.time() == QTime(3, 30)


def open_replication(qtbot: Any, gateway: StoreGateway) -> ReplicationDialog:
    """Configure Replication, shown and loaded."""
    dialog = ReplicationDialog(gateway)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    return dialog


def test_replication_loads_off_the_ui_thread_showing_loading_meanwhile(
    qtbot: Any, gateway: StoreGateway, store: Store, snapshot: Snapshot
) -> None:
    store.replication.set(ReplicationSettings("enterprise-server", "LICMASTER", "every", "00:00", 6), "alice")
    dialog = ReplicationDialog(gateway)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
        snapshot(dialog, "replication-loading")
        assert not dialog.is_loaded and dialog.status_label.isVisible()
        assert dialog.status_label.text() == "Loading…"
        assert not ok.isEnabled() and not dialog.fields.enterprise_server.isEnabled()
        assert dialog.buttons.button(dialog.buttons.StandardButton.Cancel).isEnabled()
    snapshot(dialog, "replication-loaded")
    assert ok.isEnabled() and not dialog.status_label.isVisible()
    assert dialog.fields.enterprise_server.isChecked() and dialog.fields.server_name.text() == "LICMASTER"
    assert dialog.fields.every_hours.value() == 6


def test_loaded_replication_keeps_no_blank_row_where_loading_was(
    qtbot: Any, gateway: StoreGateway, snapshot: Snapshot
) -> None:
    """Once the settings are shown, "Loading…" takes no room: the dialog, sized while it was
    loading, is no taller than its layout needs without the loading line."""
    dialog = open_replication(qtbot, gateway)
    snapshot(dialog, "replication-loaded-closed-up")
    assert not dialog.status_label.isVisible()
    assert dialog.height() <= dialog.sizeHint().height(), (dialog.height(), dialog.sizeHint())
    layout = dialog.layout()
    assert layout is not None
    gap = dialog.buttons.geometry().top() - dialog.fields.geometry().bottom() - 1
    assert gap <= layout.spacing(), (gap, layout.spacing())


def test_replication_every_hours_is_limited_to_1_to_72(
    qtbot: Any, gateway: StoreGateway, store: Store
) -> None:
    dialog = open_replication(qtbot, gateway)
    assert (dialog.fields.every_hours.minimum(), dialog.fields.every_hours.maximum()) == (1, 72)
    dialog.fields.every_hours.setValue(6)
    with qtbot.waitSignal(dialog.finished):
        dialog.accept()
    assert store.replication.get().every_hours == 6
    assert store.replication.get().frequency == "every"


def test_replication_cancel_changes_nothing(qtbot: Any, gateway: StoreGateway, store: Store) -> None:
    dialog = open_replication(qtbot, gateway)
    dialog.fields.every_hours.setValue(2)
    dialog.reject()
    assert store.replication.get().every_hours == 24


def test_purchase_model_passes_the_model_tester(qtmodeltester: Any, store: Store) -> None:
    store.products.add("SQL Server", "setup", limit=5, agreed=True)
    store.ledger.add("SQL Server", 7, "alice", True, "PO 1")
    model = PurchaseTableModel(store.ledger.history("SQL Server"))
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.columnCount() == 5
    assert model.index(0, 1).data() == "7" and model.index(0, 2).data() == "7"  # quantity, remaining
    assert model.index(0, 3).data() == "PO 1" and model.index(0, 4).data() == "alice"
    model.set_purchases([])
    assert model.rowCount() == 0


def test_staging_rules_without_widgets(store: Store) -> None:
    store.products.add("SQL Server", "setup", limit=5, agreed=True)
    draft = ProductDraft(store.products.get("SQL Server"))
    with pytest.raises(InsufficientLicenses):
        draft.stage_remove(6, "")
    with pytest.raises(InvalidInput):
        draft.stage_add(0, "")
    draft.stage_add(3, "x", agreed=True)
    draft.stage_remove(8, "all")
    assert draft.per_server_licenses == 0
    draft.stage_per_seat()
    with pytest.raises(InvalidInput):  # no Per Server licenses once Per Seat is staged
        draft.stage_add(1, "")
    draft.changes[-1].agreed = True
    record = commit_draft(store, draft, "alice")
    assert (record.mode, record.per_server_licenses) == (LicenseMode.PER_SEAT, 0)
    assert not draft.changes


def test_commit_stops_at_a_concurrent_change_and_keeps_the_rest(store: Store) -> None:
    store.products.add("SQL Server", "setup", limit=5, agreed=True)
    draft = ProductDraft(store.products.get("SQL Server"))
    draft.stage_add(1, "", agreed=True)
    store.ledger.add("SQL Server", 1, "someone else", True)
    with pytest.raises(ConcurrentChange):
        commit_draft(store, draft, "alice")
    assert len(draft.changes) == 1 and store.products.get("SQL Server").concurrent_limit == 6


def every_applet_dialog(store: Store, gateway: StoreGateway) -> list[QDialog]:
    store.products.add("SQL Server", "setup", limit=5, agreed=True)
    purchases = store.ledger.history("SQL Server")
    return [
        ChooseLicensingModeDialog(gateway),
        AddLicensesDialog("SQL Server", 5),
        RemoveLicensesDialog("SQL Server", purchases, 5),
        AgreementDialog(AgreementKind.PER_SERVER, "SQL Server", 3, 8),
        AgreementDialog(AgreementKind.PER_SEAT, "SQL Server", per_server=5),
        ReplicationDialog(gateway),
        HelpViewer(),
    ]


def test_every_control_has_an_accessible_name_and_every_action_a_unique_mnemonic(
    qtbot: Any, gateway: StoreGateway, store: Store
) -> None:
    for dialog in every_applet_dialog(store, gateway):
        qtbot.addWidget(dialog)
        name = dialog.objectName()
        assert dialog.windowTitle(), name
        mnemonics: list[str] = []
        for widget in dialog.findChildren(QWidget):
            focusable = bool(widget.focusPolicy()) and not isinstance(widget, QLabel | QDialog)
            if focusable and widget.parent() is not None and type(widget).__name__ != "QWidget":
                if widget.objectName().startswith("qt_") or not widget.isVisibleTo(dialog):
                    continue
                assert widget.accessibleName(), f"{name}: {widget!r} has no accessible name"
            inside_view = isinstance(widget.parent(), QAbstractItemView)  # the table's corner button
            if isinstance(widget, QAbstractButton) and widget.isVisibleTo(dialog) and not inside_view:
                text = widget.text()
                if isinstance(widget, QPushButton) and text.replace("&", "") in ("OK", "Cancel", "Close"):
                    continue  # Enter and Escape are their keys
                key = QKeySequence.mnemonic(text).toString()
                assert key, f"{name}: {text!r} has no mnemonic"
                mnemonics.append(key)
            if isinstance(widget, QLabel) and "&" in widget.text().replace("&&", ""):
                assert widget.buddy() is not None, f"{name}: label {widget.text()!r} has no buddy"
                mnemonics.append(QKeySequence.mnemonic(widget.text()).toString())
        assert len(mnemonics) == len(set(mnemonics)), f"{name}: duplicate mnemonics {sorted(mnemonics)}"


def test_radio_buttons_and_check_boxes_are_reachable_by_keyboard(
    qtbot: Any, gateway: StoreGateway, store: Store
) -> None:
    for dialog in every_applet_dialog(store, gateway):
        qtbot.addWidget(dialog)
        for widget in dialog.findChildren(QRadioButton) + dialog.findChildren(QCheckBox):
            assert "&" in widget.text(), widget.text()


def translatable_strings(ts_file: Path) -> set[tuple[str, str]]:
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.parse(ts_file).getroot()
    return {
        (context.findtext("name") or "", message.findtext("source") or "")
        for context in root.iter("context")
        for message in context.iter("message")
    }


def test_the_translation_template_lists_every_current_string(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from applet.resources import resource_path

    lupdate = shutil.which("pyside6-lupdate", path=str(Path(sys.executable).parent))
    if lupdate is None:
        pytest.skip("pyside6-lupdate is not installed next to this Python")
    ui = Path(__file__).resolve().parents[2] / "applet" / "ui"
    sources = sorted(str(path) for path in (ui / "licensing").glob("*.py"))
    sources += [str(ui / "licensing_main.py"), str(ui / "messages.py")]
    fresh = tmp_path / "licensing.ts"
    command = [lupdate, "-locations", "none", *sources, "-ts", str(fresh)]
    subprocess.run(command, check=True, capture_output=True)
    current = translatable_strings(fresh)
    assert ("ChooseLicensingModeDialog", "No services have been registered to use Licensing.") in current
    committed = translatable_strings(resource_path("translations", "licensing.ts"))
    assert current == committed, (
        "resources/translations/licensing.ts is out of date; regenerate it with: pyside6-lupdate "
        "-locations none applet/ui/licensing/*.py applet/ui/licensing_main.py applet/ui/messages.py "
        "-ts resources/translations/licensing.ts"
    )


def test_a_compiled_translation_reaches_every_dialog(
    qtbot: Any, gateway: StoreGateway, store: Store, tmp_path: Path
) -> None:
    """The .ts contexts match what PySide's tr() asks for: translate the template, compile, load."""
    import shutil
    import subprocess
    import sys
    import xml.etree.ElementTree as ElementTree

    from PySide6.QtCore import QCoreApplication, QTranslator

    from applet.resources import resource_path

    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    if lrelease is None:
        pytest.skip("pyside6-lrelease is not installed next to this Python")
    tree = ElementTree.parse(resource_path("translations", "licensing.ts"))
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        translation.attrib.pop("type", None)
        forms = translation.findall("numerusform")
        for form in forms:
            form.text = "DE:" + source
        if not forms:
            translation.text = "DE:" + source
    translated = tmp_path / "licensing_xx.ts"
    tree.write(translated, encoding="utf-8", xml_declaration=True)
    compiled = tmp_path / "licensing_xx.qm"
    subprocess.run([lrelease, str(translated), "-qm", str(compiled)], check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(compiled))
    QCoreApplication.installTranslator(translator)
    try:
        dialogs = every_applet_dialog(store, gateway)
        for dialog in dialogs:
            qtbot.addWidget(dialog)
            assert dialog.windowTitle().startswith("DE:"), dialog.objectName()
        choose, _add, remove, per_server = dialogs[:4]
        assert isinstance(choose, ChooseLicensingModeDialog) and isinstance(remove, RemoveLicensesDialog)
        assert choose.empty_label.text() == "DE:No services have been registered to use Licensing."
        assert remove.model.headerData(0, Qt.Orientation.Horizontal) == "DE:Date"
        assert isinstance(per_server, AgreementDialog)
        assert per_server.statement.text().startswith("DE:I have purchased")  # a plural (%n) form
    finally:
        QCoreApplication.removeTranslator(translator)


def test_replication_saved_elsewhere_meanwhile_is_not_overwritten_until_a_second_ok(
    qtbot: Any, gateway: StoreGateway, store: Store, boxes: MessageBoxes
) -> None:
    dialog = open_replication(qtbot, gateway)
    # Another window (or `lls replication set`) saves while this dialog is open.
    store.replication.set(ReplicationSettings("enterprise-server", "OTHER", "every", "00:00", 12), "bob")
    dialog.fields.every_hours.setValue(6)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    click(qtbot, ok)
    qtbot.waitUntil(lambda: bool(boxes.seen) and ok.isEnabled())
    assert "changed by someone else" in boxes.seen[-1][2]
    assert dialog.isVisible() and dialog.fields.every_hours.value() == 6  # what was typed stays
    kept = store.replication.get()
    assert (kept.enterprise_server, kept.every_hours, kept.administrator) == ("OTHER", 12, "bob")
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, ok)  # told, the administrator saves knowingly
    saved = store.replication.get()
    assert (saved.master, saved.every_hours) == ("domain-controller", 6)
