"""License Manager driven as an administrator would: tabs, sorting, filters, menus, live refresh."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from applet.domain.events import EventId
from applet.store import Store
from applet.store.events import NewEvent
from applet.store.records import SeatUsage
from applet.ui.manager.models.paged import PagedTableModel
from applet.ui.manager.window import CLIENTS, EVENTS, HISTORY, SERVERS, ManagerWindow


def _column(model: object, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]  # type: ignore[attr-defined]


def _click_header(qtbot: QtBot, view: object, column: int) -> None:
    header = view.horizontalHeader()  # type: ignore[attr-defined]
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def _show_tab(qtbot: QtBot, window: ManagerWindow, tab: int) -> None:
    qtbot.keyClick(window, Qt.Key.Key_1 + tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == tab


def test_every_tab_shows_the_store_and_every_model_is_sound(
    manager: ManagerWindow, qtbot: QtBot, qtmodeltester: ModelTester, snapshot: Callable[[QWidget, str], Path]
) -> None:
    products = {row: manager.products.model.record(row) for row in range(3)}
    names = sorted(record.name for record in products.values())
    assert "Mail Server" in names and "Web Server" in names
    web = next(r for r in products.values() if r.name == "Web Server")
    assert (web.per_server_purchased, web.per_server_reached, web.compliance.value) == (5, 4, "compliant")
    mail = next(r for r in products.values() if r.name == "Mail Server")
    assert (mail.per_seat_purchased, mail.per_seat_allocated, mail.compliance.value) == (2, 2, "over-limit")
    assert manager.products.model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    snapshot(manager, "manager-products")

    _show_tab(qtbot, manager, HISTORY)
    qtbot.waitUntil(lambda: manager.history.model.rowCount() == 3)
    assert _column(manager.history.model, 2) == ["2", "3", "2"]  # newest first: +2 Web, +3 Web, +2 Mail
    assert manager.history.model.index(0, 5).data() == "PO 17"
    qtbot.waitUntil(lambda: "of 3" in manager.status.text.text())
    snapshot(manager, "manager-history")

    _show_tab(qtbot, manager, CLIENTS)
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)
    assert _column(manager.clients.model, 0) == ["alice", "bob", "carol"]
    assert _column(manager.clients.model, 2) == ["0", "0", "1"]  # carol is unlicensed
    snapshot(manager, "manager-clients")

    _show_tab(qtbot, manager, SERVERS)
    qtbot.waitUntil(
        lambda: manager.servers.model.rowCount() == 1 and manager.servers.model.item(0).rowCount() == 1
    )
    site = manager.servers.model.item(0).child(0)
    server = site.child(0)
    assert {server.child(i).text() for i in range(server.rowCount())} >= {"Mail Server", "Web Server"}
    snapshot(manager, "manager-servers")

    _show_tab(qtbot, manager, EVENTS)
    qtbot.waitUntil(lambda: manager.events.model.rowCount() >= 2)
    assert manager.events.model.index(0, 0).data() == str(int(EventId.OVER_LICENSED))  # newest first
    snapshot(manager, "manager-events")

    for model in (
        manager.history.model,
        manager.products.model,
        manager.clients.model,
        manager.servers.model,
        manager.events.model,
    ):
        qtmodeltester.check(model, force_py=True)


def test_sorting_and_filtering_clients_happen_in_the_store(manager: ManagerWindow, qtbot: QtBot) -> None:
    _show_tab(qtbot, manager, CLIENTS)
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)
    view = manager.clients.view
    with qtbot.waitSignal(manager.clients.model.loaded):
        _click_header(qtbot, view, 1)  # Licensed Usage, ascending
    assert _column(manager.clients.model, 0) == ["carol", "bob", "alice"]
    with qtbot.waitSignal(manager.clients.model.loaded):
        _click_header(qtbot, view, 1)
    assert _column(manager.clients.model, 0) == ["alice", "bob", "carol"]
    # History's Mode sorts too, in the store (it did not before issue 9 item 9).
    _show_tab(qtbot, manager, HISTORY)
    qtbot.waitUntil(lambda: manager.history.model.rowCount() == 3)
    with qtbot.waitSignal(manager.history.model.loaded):
        _click_header(qtbot, manager.history.view, 3)
    assert manager.history.view.horizontalHeader().sortIndicatorSection() == 3
    assert manager.history.model.sort_state == (3, False)
    _show_tab(qtbot, manager, CLIENTS)
    qtbot.keyClicks(manager.clients.filter, "CAR")
    qtbot.waitUntil(lambda: _column(manager.clients.model, 0) == ["carol"])
    manager.clients.filter.clear()
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)


def _shown_in_order(model: object, column: int, descending: bool) -> bool:
    from applet.ui.manager.models.columns import SORT_ROLE, sortable

    values = [model.index(row, column).data(SORT_ROLE) for row in range(model.rowCount())]  # type: ignore[attr-defined]
    return values == sorted(values, key=sortable, reverse=descending)


def test_every_column_of_every_tab_sorts_by_what_it_shows(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot
) -> None:
    """Issue 9 item 9: Events sorted by row id when ID was clicked; Type, Product, Message did not sort."""
    seeded.events.append(
        [
            NewEvent(EventId.NO_LICENSE, ("zoe", "Web Server"), "Web Server"),
            NewEvent(EventId.LICENSES_ADDED, (1, "Per Seat", "Mail Server", "amy"), None),
        ]
    )
    for tab in (manager.history, manager.products, manager.clients, manager.events):
        _show_tab(qtbot, manager, manager.tab_list.index(tab))
        qtbot.waitUntil(lambda tab=tab: tab.model.rowCount() >= 3)
        paged = isinstance(tab.model, PagedTableModel)
        for column in range(tab.model.columnCount()):
            for _click in range(2):
                if paged:
                    with qtbot.waitSignal(tab.model.loaded):
                        _click_header(qtbot, tab.view, column)
                    assert tab.model.sort_state[0] == column, (tab.title, column)
                else:
                    _click_header(qtbot, tab.view, column)
                header = tab.view.horizontalHeader()
                descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
                assert header.sortIndicatorSection() == column
                assert _shown_in_order(tab.model, column, descending), (tab.title, column, descending)
    # The Events ID column is the event's number: 201 first ascending, whatever order they were logged in.
    events = manager.events
    _show_tab(qtbot, manager, EVENTS)
    with qtbot.waitSignal(events.model.loaded):
        events.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [events.model.record(r).event_id for r in range(3)] == [201, 201, 221]

    # Server Browser: each level sorts by the column clicked (names, modes, licenses as numbers).
    _show_tab(qtbot, manager, SERVERS)
    tree = manager.servers
    qtbot.waitUntil(lambda: tree.model.rowCount() == 1 and tree.model.item(0).rowCount() == 1)

    def products_column(column: int) -> list[str]:
        server = tree.model.item(0).child(0).child(0)
        return [server.child(row, column).text() for row in range(server.rowCount())]

    assert {"Mail Server", "Web Server"} <= set(products_column(0))
    tree_header = tree.view.header()
    for column in range(3):
        for descending in (False, True):
            x = tree_header.sectionViewportPosition(column) + tree_header.sectionSize(column) // 2
            qtbot.mouseClick(tree_header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
            assert tree_header.sortIndicatorSection() == column
            texts = products_column(column)
            keys = [int(t.split()[0]) for t in texts] if column == 2 else [t.casefold() for t in texts]
            assert keys == sorted(keys, reverse=descending), (column, texts)
    seeded.products.add("Zebra", "tester", limit=9, agreed=True)
    manager.refresh()
    # A rebuilt tree keeps the order chosen (Licenses, descending): 9 connections come first.
    qtbot.waitUntil(lambda: "Zebra" in products_column(0))
    assert products_column(0)[0] == "Zebra"


def test_events_filter_by_type_and_product(manager: ManagerWindow, qtbot: QtBot) -> None:
    _show_tab(qtbot, manager, EVENTS)
    qtbot.waitUntil(lambda: manager.events.model.rowCount() >= 2)
    total = manager.events.model.rowCount()
    manager.events.type_choice.setFocus()
    manager.events.type_choice.setCurrentIndex(manager.events.type_choice.findData("error"))
    qtbot.waitUntil(lambda: manager.events.model.rowCount() == 1)
    assert manager.events.model.index(0, 0).data() == str(int(EventId.NO_LICENSE))
    manager.events.type_choice.setCurrentIndex(0)
    qtbot.waitUntil(lambda: manager.events.model.rowCount() == total)
    qtbot.waitUntil(lambda: manager.events.product_choice.findData("Web Server") > 0)
    manager.events.product_choice.setCurrentIndex(manager.events.product_choice.findData("Web Server"))
    qtbot.waitUntil(lambda: set(_column(manager.events.model, 3)) == {"Web Server"})


def test_products_view_filters_and_sorts(manager: ManagerWindow, qtbot: QtBot) -> None:
    qtbot.keyClicks(manager.products.filter, "web")
    assert _column(manager.products.model, 0) == ["Web Server"]
    manager.products.filter.clear()
    _click_header(qtbot, manager.products.view, 4)  # Per Server Purchased
    # Sorted as shown: a Per Seat product has no Per Server figure (an empty cell, sorted last).
    descending = manager.products.view.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert _shown_in_order(manager.products.model, 4, descending)


def test_each_product_shows_its_own_mode_figures_and_one_compliance(
    manager: ManagerWindow, qtbot: QtBot, snapshot: Callable[[QWidget, str], Path]
) -> None:
    """Issue 9 items 3 and 6: a Per Seat product shows no Per Server figures and the other way round;
    the properties say the compliance Products View shows; every column is whole at the default size."""
    from applet.ui.manager.dialogs.product_properties import ProductPropertiesDialog

    model = manager.products.model
    headers = [
        " ".join(model.headerData(c, Qt.Orientation.Horizontal).split()) for c in range(model.columnCount())
    ]
    seat = [headers.index("Per Seat Purchased"), headers.index("Per Seat Allocated")]
    server = [headers.index("Per Server Purchased"), headers.index("Per Server Reached")]
    rows = {model.record(r).name: r for r in range(model.rowCount())}
    assert [model.index(rows["Mail Server"], c).data() for c in seat + server] == ["2", "2", "", ""]
    assert [model.index(rows["Web Server"], c).data() for c in seat + server] == ["", "", "5", "4"]
    in_use = headers.index("In Use")
    assert all(model.index(r, in_use).data() == "" for r in range(model.rowCount()))  # service stopped
    # Every column whole at the default window size: its width fits its header and its cells.
    assert (manager.width(), manager.height()) == (980, 600)
    view = manager.products.view
    header = view.horizontalHeader()
    assert (
        header.sectionViewportPosition(model.columnCount() - 1) + header.sectionSize(model.columnCount() - 1)
        <= view.viewport().width()
    )
    for column in range(model.columnCount()):
        assert header.sectionSize(column) >= header.sectionSizeHint(column), headers[column]
        assert header.sectionSize(column) >= view.sizeHintForColumn(column), headers[column]
    snapshot(manager, "manager-products-modes")

    for name, words in (("Web Server", "Compliant"), ("Mail Server", "Over the limit")):
        view.setFocus()
        view.selectRow(rows[name])
        manager.properties_action.trigger()
        dialog = manager.child_dialog
        assert isinstance(dialog, ProductPropertiesDialog)
        qtbot.waitUntil(lambda dialog=dialog: dialog.loaded)
        assert (
            dialog.compliance.text() == words == model.index(rows[name], headers.index("Compliance")).data()
        )
        other_mode = "Per Seat" if name == "Web Server" else "Per Server"
        assert other_mode not in dialog.summary.text()
        snapshot(dialog, f"properties-{name}")
        dialog.reject()


def test_new_events_and_usage_appear_without_any_action(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot
) -> None:
    _show_tab(qtbot, manager, EVENTS)
    qtbot.waitUntil(lambda: manager.events.model.rowCount() >= 2)
    seeded.events.append([NewEvent(EventId.NO_LICENSE, ("erin", "Web Server"), "Web Server")])
    qtbot.waitUntil(lambda: "erin" in manager.events.model.index(0, 4).data(), timeout=2000)

    _show_tab(qtbot, manager, CLIENTS)
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)
    mail = seeded.products.get("Mail Server").product_id
    seeded.clients.record_usage([SeatUsage(mail, "frank", "2026-11-29T10:00:00+00:00", False)])
    qtbot.waitUntil(lambda: "frank" in _column(manager.clients.model, 0), timeout=2000)


def test_the_window_remembers_geometry_tab_and_column_widths(
    manager: ManagerWindow, open_manager: Callable[[], ManagerWindow], qtbot: QtBot
) -> None:
    manager.resize(700, 480)
    _show_tab(qtbot, manager, CLIENTS)
    manager.clients.view.horizontalHeader().resizeSection(0, 233)
    manager.close()
    again = open_manager()
    assert again.tabs.currentIndex() == CLIENTS
    assert again.clients.view.horizontalHeader().sectionSize(0) == 233
    assert (again.size().width(), again.size().height()) == (700, 480)


def test_menus_view_actions_about_help_and_exit(
    manager: ManagerWindow, qtbot: QtBot, boxes: object, snapshot: Callable[[QWidget, str], Path]
) -> None:
    titles = [action.text() for action in manager.menuBar().actions()]
    assert titles == ["&File", "&License", "&View", "&Help"]
    license_items = [a.text() for a in manager.menus["license"].actions() if a.text()]
    assert license_items == [
        "&New License...",
        "License &Groups...",
        "&Properties",
        "&Delete",
        "Select &Domain...",
        "E&xit",
    ]
    for tab, action in enumerate(manager.tab_actions):
        action.trigger()
        assert manager.tabs.currentIndex() == tab and action.isChecked()
    manager.about_action.trigger()
    assert boxes.seen[-1][0] == "About License Manager"  # type: ignore[attr-defined]
    manager.contents_action.trigger()
    viewer = manager.child_dialog
    assert viewer is not None and viewer.isVisible()
    assert "License Manager" in viewer.browser.toPlainText()  # type: ignore[attr-defined]
    snapshot(viewer, "manager-help")
    viewer.close()
    manager.refresh_action.trigger()
    manager.exit_action.trigger()
    assert not manager.isVisible()


def test_service_stopped_is_said_with_a_start_button(manager: ManagerWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: "stopped" in manager.status.service.text())
    assert manager.status.start_button.isVisible()
    assert manager.status.start_button.accessibleName()


def test_delete_client_asks_first_and_frees_its_license(
    manager: ManagerWindow, seeded: Store, qtbot: QtBot, boxes: object
) -> None:
    from PySide6.QtWidgets import QMessageBox

    _show_tab(qtbot, manager, CLIENTS)
    qtbot.waitUntil(lambda: manager.clients.model.rowCount() == 3)
    assert not manager.delete_action.isEnabled()
    manager.clients.view.setFocus()
    manager.clients.view.selectRow(0)  # alice
    assert manager.delete_action.isEnabled()
    boxes.answer(QMessageBox.StandardButton.No)  # type: ignore[attr-defined]
    qtbot.keyClick(manager.clients.view, Qt.Key.Key_Delete)
    assert len(seeded.clients.usage(user="alice")) == 1
    boxes.answer(QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
    qtbot.keyClick(manager.clients.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: "alice" not in _column(manager.clients.model, 0))
    assert seeded.clients.usage(user="alice") == []
    # carol waited unlicensed; alice's license is hers now.
    assert seeded.clients.usage(user="carol")[0].licensed


def test_a_vanished_store_is_reported_and_the_rows_stay(
    manager: ManagerWindow, data_dir: Path, qtbot: QtBot
) -> None:
    database = data_dir / "licensing.sqlite3"
    moved = data_dir / "moved.sqlite3"
    database.rename(moved)
    qtbot.waitUntil(lambda: manager.status.fault.isVisible(), timeout=3000)
    assert "no longer exists" in manager.status.fault.text()
    assert manager.products.model.rowCount() == 3
    moved.rename(database)
    qtbot.waitUntil(lambda: not manager.status.fault.isVisible(), timeout=3000)


def test_keyboard_reaches_filter_and_table_and_opens_properties(manager: ManagerWindow, qtbot: QtBot) -> None:
    from applet.ui.manager.dialogs.product_properties import ProductPropertiesDialog

    manager.activateWindow()
    manager.products.filter.setFocus()
    qtbot.keyClick(manager.products.filter, Qt.Key.Key_Tab)
    assert manager.products.view.hasFocus()
    qtbot.keyClick(manager.products.view, Qt.Key.Key_Down)
    qtbot.keyClick(manager.products.view, Qt.Key.Key_Return)
    assert isinstance(manager.child_dialog, ProductPropertiesDialog)
    for widget in (
        manager.products.view,
        manager.products.filter,
        manager.clients.product_choice,
        manager.tabs,
    ):
        assert widget.accessibleName()


def test_dark_palette_and_a_scaled_screen_render(
    manager: ManagerWindow, qtbot: QtBot, snapshot: Callable[[QWidget, str], Path]
) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    original = app.palette()
    dark = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#171717"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
    ):
        dark.setColor(role, QColor(colour))
    try:
        app.setPalette(dark)
        view = manager.products.view
        qtbot.waitUntil(lambda: view.palette().color(QPalette.ColorRole.Base).name() == "#171717")
        image = manager.grab().toImage()
        # The table's background follows the palette (nothing hard-coded light).
        centre = manager.products.view.viewport().mapTo(
            manager, manager.products.view.viewport().rect().center()
        )
        assert image.pixelColor(centre).lightness() < 100
        snapshot(manager, "manager-dark")
        ratio = manager.devicePixelRatioF()
        assert manager.grab().deviceIndependentSize().width() == manager.width() or ratio != 1
    finally:
        app.setPalette(original)


def test_paged_model_stays_consistent_through_pages_sorts_filters_and_live_changes(
    seeded: Store, open_manager: Callable[[], ManagerWindow], qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    mail = seeded.products.get("Mail Server").product_id
    seeded.clients.record_usage(
        [SeatUsage(mail, f"user{n:03d}", "2026-11-20T10:00:00+00:00", False) for n in range(450)]
    )
    window = open_manager()
    window.tabs.setCurrentIndex(CLIENTS)
    model = window.clients.model
    qtbot.waitUntil(lambda: model.rowCount() == PagedTableModel.PAGE_SIZE)
    qtmodeltester.check(model, force_py=True)  # stays attached: every change below is checked
    while True:
        qtbot.waitUntil(lambda: not model.loading)  # the view may have asked for a page itself
        if not model.canFetchMore():
            break
        with qtbot.waitSignal(model.loaded):
            model.fetchMore()
    assert model.rowCount() == 453 and model.total == 453
    with qtbot.waitSignal(model.loaded):
        window.clients.view.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    assert model.record(0).user == "carol" or model.record(0).last_used >= model.record(1).last_used
    seeded.clients.record_usage([SeatUsage(mail, "aaron", "2026-11-29T10:00:00+00:00", True)])
    qtbot.waitUntil(lambda: model.record(0).user == "aaron", timeout=2000)
    window.clients.filter.setText("user1")
    window.apply_filters()
    qtbot.waitUntil(lambda: model.total == 100 and not model.loading)
    assert all("user1" in record.user for record in model.records())
