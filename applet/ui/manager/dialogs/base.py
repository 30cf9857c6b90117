"""What License Manager's dialogs share: a dialog that writes through the gateway, and a table for a list.

Every dialog reads and writes through the window's :class:`~applet.ui.gateway.StoreGateway`,
so the UI thread never waits on the store: while a write is on its way the buttons are disabled, and
the dialog closes only when the store has accepted it. A refused change (bad input, a rule, a locked
store) is shown in a message box and the dialog stays open with everything typed still there.
Dialogs are opened with ``open()`` (no nested event loop); tests drive them with clicks and keys.
"""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from applet.store import Store
from applet.store.identity import current_administrator
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.manager.models.record_table import RecordTableModel


def buddy_label(text: str, field: QWidget) -> QLabel:
    """A form label whose mnemonic moves the focus to ``field``."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


def error_line(name: str) -> QLabel:
    """A dialog's one-line reason why something was refused (red, selectable, hidden until needed)."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def table_view(model: RecordTableModel, name: str, parent: QWidget | None = None) -> QTableView:
    """A read-only, sortable, row-selecting table for a dialog list."""
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setTabKeyNavigation(False)
    view.setWordWrap(False)
    # Lists in dialogs are short: fit the columns to what they hold whenever it changes.
    model.modelReset.connect(view.resizeColumnsToContents)
    return view


class StoreDialog(QDialog):
    """A dialog that writes through the gateway: buttons off while a write is on its way."""

    def __init__(self, gateway: StoreGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.administrator = current_administrator()
        self.writing = False

    def _busy(self, busy: bool) -> None:
        self.writing = busy
        for button in self.findChildren(QPushButton):
            button.setEnabled(not busy)
        if not busy:
            self._update_buttons()

    def _update_buttons(self) -> None:
        """Enable buttons according to the dialog's state (subclasses)."""

    def write(
        self, job: Callable[[Store], Any], done: Callable[[Any], None], title: str | None = None
    ) -> None:
        """Run a write; on failure say why in a message box and keep the dialog as it is."""
        self._busy(True)

        def finished(result: Any) -> None:
            self._busy(False)
            done(result)

        def failed(error: Exception) -> None:
            self._busy(False)
            messages.critical(self, title or self.windowTitle(), " ".join(str(error).split()))

        self.gateway.submit(job, finished, failed)
