"""A Per Seat client's properties: products used, licensed or not, last use; revoke one or delete it."""

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from applet.store.records import SeatClientRecord
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.dialogs.base import StoreDialog, table_view
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.record_table import RecordTableModel
from applet.ui.manager.symbols import local_time


class ClientPropertiesDialog(StoreDialog):
    """A Per Seat client: products used, licensed or not, last use; revoke one product or delete it.

    Signals:
        changed(): the client's licenses changed (revoked or deleted).
    """

    changed = Signal()

    def __init__(
        self,
        gateway: StoreGateway,
        user: str,
        delete_client: Callable[[str, Callable[[], None]], None],
        parent: QWidget | None = None,
        may_change: bool = True,
    ) -> None:
        super().__init__(gateway, parent)
        self.user = user
        self.may_change = may_change  # False: a read-only store (Revoke and Delete stay disabled)
        self._delete_client = delete_client
        self.setObjectName("client_properties_dialog")
        self.setWindowTitle(self.tr("Client %1 Properties").replace("%1", user))
        self.model = RecordTableModel(
            [
                Column(self.tr("Product"), lambda c: c.product),
                Column(
                    self.tr("Licensed"),
                    lambda c: self.tr("Licensed") if c.licensed else self.tr("Unlicensed"),
                ),
                Column(self.tr("Uses"), lambda c: c.usage_count, numeric=True),
                Column(self.tr("Group"), lambda c: c.group or ""),
                Column(self.tr("First Used"), lambda c: local_time(c.first_used)),
                Column(self.tr("Last Used"), lambda c: local_time(c.last_used)),
            ],
            parent=self,
        )
        self.view = table_view(self.model, self.tr("Products used"))
        self.summary = QLabel()
        self.revoke_button = QPushButton(self.tr("&Revoke License"))
        self.revoke_button.setAccessibleName(self.tr("Revoke the license of the selected product"))
        self.delete_button = QPushButton(icon("remove"), self.tr("&Delete Client"))
        self.delete_button.setAccessibleName(self.tr("Delete the client and free its licenses"))
        self.close_button = QPushButton(self.tr("Close"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.revoke_button.clicked.connect(self.revoke)
        self.delete_button.clicked.connect(self.delete)
        self.close_button.clicked.connect(self.accept)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.resize(680, 320)
        self.loaded = False
        self.reload()

    def reload(self) -> None:
        """Read the client's usage rows."""
        user = self.user
        self.loaded = False

        def done(rows: list[SeatClientRecord]) -> None:
            self.model.set_records(rows)
            licensed = sum(row.usage_count for row in rows if row.licensed)
            unlicensed = sum(row.usage_count for row in rows if not row.licensed)
            self.summary.setText(
                self.tr("%1 used %2 product(s): %3 licensed and %4 unlicensed uses.")
                .replace("%1", user)
                .replace("%2", str(len(rows)))
                .replace("%3", f"{licensed:,}")
                .replace("%4", f"{unlicensed:,}")
            )
            self.loaded = True

        def failed(error: Exception) -> None:
            self.summary.setText(" ".join(str(error).split()))
            self.loaded = True

        self.gateway.submit(lambda store: store.clients.usage(user=user), done, failed)

    def _update_buttons(self) -> None:
        idle = self.may_change and not self.writing
        self.revoke_button.setEnabled(idle and bool(self.view.selectionModel().selectedRows()))
        self.delete_button.setEnabled(idle and self.model.rowCount() > 0)

    def revoke(self) -> None:
        """Take the selected product's license away from the client, after confirmation."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return
        record: SeatClientRecord = self.model.record(rows[0].row())
        if not messages.question(
            self,
            self.windowTitle(),
            self.tr("Revoke the %1 license of %2?").replace("%1", record.product).replace("%2", self.user),
            self.tr("The license goes back to the product's pool."),
        ):
            return
        user, product, administrator = self.user, record.product, self.administrator

        def done(_result: object) -> None:
            self.changed.emit()
            self.reload()

        self.write(lambda store: store.clients.revoke(user, product, administrator), done)

    def delete(self) -> None:
        """Delete the client (the window asks for confirmation and checks it is not in use)."""

        def deleted() -> None:
            self.changed.emit()
            self.accept()

        self._delete_client(self.user, deleted)
