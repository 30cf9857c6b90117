"""Choose Licensing Mode for a product on another server of the enterprise (Server Browser, connected to
a master: double-click a product of a server).

Design: License Manager talks directly to the server's API; the master does not forward
=======================================================================================

* The master does not know where a server's API listens. A replication batch names its server; the
  address a batch came from is the source of a connection (behind NAT, a proxy, an ephemeral port),
  not where the server accepts administrators. The administrator knows: the address defaults to the
  server's enrolled name on the default port, and can be edited.
* The credential stays per server. Forwarding would make the master's admin token a key to every
  server of the enterprise, and the master a single point whose outage stops the administration of
  servers that are up. Here the administrator gives that server's own admin token (a file copied
  owner-only to this desk), as ``lls`` on that server would use.
* The server applies the rules itself, on its own store: the one-way Per Server -> Per Seat change
  and its agreement, the agreement to add licenses, and the check that nobody changed the product
  since it was read (every change carries the revision the dialog read; the server refuses a change to
  a product at another revision with 409 and writes nothing). So remote changes follow the same code
  path, and the same conflict detection, as local ones. What the Server Browser shows (the master's
  copy) catches up at the server's next replication.

Every request runs on a short-lived thread (:meth:`applet.ui.gateway.StoreGateway.run_remote`); the
dialog's buttons are off meanwhile. A server that does not answer, refuses the token, or refuses a
change is one line in the dialog; the dialog stays open with everything typed. The address, token file
and Connect are the :class:`~applet.ui.manager.dialogs.server_connection.ServerConnectionBox` that
every dialog administering another server shows.
"""

from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from applet.client.master import RemoteAnswerError, ServerAdminClient
from applet.store.identity import current_administrator
from applet.ui.gateway import StoreGateway
from applet.ui.manager.dialogs.base import buddy_label, error_line
from applet.ui.manager.dialogs.server_connection import ServerConnectionBox

MAX_QUANTITY = 999_999


class RemoteModeDialog(QDialog):
    """Choose Licensing Mode for ``product`` on ``server``, written to that server's API.

    Signals:
        committed(): the server accepted every change.
    """

    committed = Signal()

    def __init__(
        self,
        gateway: StoreGateway,
        server: str,
        product: str,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.server = server
        self.product = product
        self.settings = settings
        self.administrator = current_administrator()
        self.client: ServerAdminClient | None = None
        self.record: dict[str, Any] | None = None
        self.setObjectName("remote_mode_dialog")
        self.setWindowTitle(self.tr("Choose Licensing Mode on %1").replace("%1", server))
        self.connection = ServerConnectionBox(server, settings)
        self.connection.connected.connect(self._connected)
        self.connection.refused.connect(self.show_error)

        self.state = QLabel(self.tr("Connect to the server to read %1's licensing.").replace("%1", product))
        self.state.setObjectName("remote_mode_state")
        self.state.setWordWrap(True)
        self.per_server = QRadioButton(self.tr("Per Se&rver"))
        self.per_seat = QRadioButton(self.tr("Per S&eat"))
        self.add_quantity = _quantity(self.tr("Licenses to add"))
        self.remove_quantity = _quantity(self.tr("Licenses to remove"))
        self.comment = QLineEdit()
        self.comment.setAccessibleName(self.tr("Comment"))
        self.comment.setMaxLength(200)
        self.agree = QCheckBox(
            self.tr("I &agree to the license terms (to add licenses, or to change to Per Seat)")
        )
        mode_box = QGroupBox(self.tr("Client Licensing Mode"))
        mode_form = QFormLayout(mode_box)
        mode_form.addRow(self.per_server)
        mode_form.addRow(buddy_label(self.tr("A&dd licenses:"), self.add_quantity), self.add_quantity)
        mode_form.addRow(
            buddy_label(self.tr("Re&move licenses:"), self.remove_quantity), self.remove_quantity
        )
        mode_form.addRow(self.per_seat)
        mode_form.addRow(buddy_label(self.tr("Co&mment:"), self.comment), self.comment)
        mode_form.addRow(self.agree)
        self.editors: list[QWidget] = [
            self.per_server,
            self.per_seat,
            self.add_quantity,
            self.remove_quantity,
            self.comment,
            self.agree,
        ]

        self.error = error_line("remote_mode_error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.write)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Product: %1").replace("%1", product)))
        layout.addWidget(self.connection)
        layout.addWidget(self.state)
        layout.addWidget(mode_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self._busy = False
        self._update()

    # ------------------------------------------------------------------ state

    def _update(self) -> None:
        loaded = self.record is not None and not self._busy
        for widget in self.editors:
            widget.setEnabled(loaded)
        if loaded and self.per_seat.isChecked():
            self.add_quantity.setEnabled(False)
            self.remove_quantity.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(loaded)
        self.connection.set_busy(self._busy)

    def show_error(self, message: str) -> None:
        """Say why in one line; everything typed stays."""
        self.error.setText(" ".join(message.split()))
        self.error.setVisible(bool(message))
        self.adjustSize()

    def _request(self, job: Any, done: Any) -> None:
        self._busy = True
        self._update()

        def finished(result: Any) -> None:
            self._busy = False
            done(result)
            self._update()

        def failed(error: Exception) -> None:
            self._busy = False
            self.show_error(str(error))
            if isinstance(error, RemoteAnswerError) and error.status == 409 and self.client is not None:
                # Someone else changed the product (or a rule refused): show what the server has now;
                # the quantities and comment typed stay.
                self._read_product(keep_edits=True)
            self._update()

        self.gateway.run_remote(job, finished, failed)

    # ------------------------------------------------------------------ connecting

    def _connected(self, client: ServerAdminClient) -> None:
        """Connect (the connection box): read the product from the server with its admin token."""
        if self.client is not None:
            self.client.close()
        self.client = client
        self.show_error("")
        self._read_product(keep_edits=False)

    def _read_product(self, keep_edits: bool) -> None:
        client, product = self.client, self.product
        assert client is not None

        def done(record: dict[str, Any]) -> None:
            self.record = record
            self.connection.remember(client)
            per_seat = record["mode"] == "per-seat"
            if not keep_edits:
                (self.per_seat if per_seat else self.per_server).setChecked(True)
            self.state.setText(
                self.tr("%1 on %2 (revision %3): %4")
                .replace("%1", self.product)
                .replace("%2", client.name)
                .replace("%3", str(record["revision"]))
                .replace(
                    "%4",
                    self.tr("Per Seat, %n license(s) purchased", "", int(record["per_seat_licenses"]))
                    if per_seat
                    else self.tr(
                        "Per Server, %n concurrent connection(s)", "", int(record["per_server_licenses"])
                    ),
                )
            )

        self._request(lambda: client.product(product), done)

    # ------------------------------------------------------------------ writing

    def write(self) -> None:
        """OK: write the changes to the server in order, each at the revision last read."""
        client, record = self.client, self.record
        if client is None or record is None:
            return
        to_per_seat = self.per_seat.isChecked() and record["mode"] != "per-seat"
        to_per_server = self.per_server.isChecked() and record["mode"] == "per-seat"
        add, remove = self.add_quantity.value(), self.remove_quantity.value()
        comment, agree, administrator = self.comment.text(), self.agree.isChecked(), self.administrator
        name = self.product

        def job() -> dict[str, Any]:
            revision = int(record["revision"])
            if add:
                client.add_licenses(name, add, administrator, comment, agree, revision)
                revision = int(client.product(name)["revision"])
            if remove:
                client.remove_licenses(name, remove, administrator, comment, revision)
                revision = int(client.product(name)["revision"])
            if to_per_seat or to_per_server:
                client.change_mode(
                    name, "per-seat" if to_per_seat else "per-server", administrator, agree, revision
                )
            return client.product(name)

        def done(after: dict[str, Any]) -> None:
            self.record = after
            self.committed.emit()
            self.accept()

        self.show_error("")
        self._request(job, done)

    def done(self, result: int) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            # Closed off the UI thread: a server that stopped answering must not hold the window.
            self.gateway.run_remote(client.close, lambda _none: None, lambda _error: None)
        super().done(result)


def _quantity(name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, MAX_QUANTITY)
    box.setAccessibleName(name)
    return box
