"""License Manager at its default size: every column of Products View is whole in the viewport."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from applet.domain.products import LicenseMode
from applet.store import Store
from applet.ui.manager.window import ManagerWindow

from .conftest import ADMIN


def test_products_view_shows_every_column_whole_at_the_default_size(
    seeded: Store,
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    """Issue 14 item 10: the Compliance column read "Complia" behind a horizontal scroll bar."""
    seeded.products.add(
        "Structured Query Server Enterprise Edition for Departments",
        ADMIN,
        mode=LicenseMode.PER_SERVER,
        limit=10,
        agreed=True,
    )
    manager = open_manager()
    qtbot.waitUntil(lambda: manager.products.model.rowCount() == 4)
    view = manager.products.view
    header = view.horizontalHeader()
    qtbot.waitUntil(lambda: manager.products.sized)
    snapshot(manager, "manager-default-size")
    assert (manager.width(), manager.height()) == (980, 600)
    visible = view.viewport().width()
    for column in range(header.count()):
        right = header.sectionPosition(column) + header.sectionSize(column)
        title = manager.products.model.headerData(column, Qt.Orientation.Horizontal)
        assert right <= visible, f"column {title!r} ends at {right}, the view shows {visible}"
        assert header.sectionSize(column) >= header.sectionSizeHint(column), f"{title!r} is cut"
    assert not view.horizontalScrollBar().isVisible()
