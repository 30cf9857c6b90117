"""Where to reach one server of the enterprise and with which credential: the address, the server's
administrator token file and Connect, as every dialog that administers another server shows them
(Choose Licensing Mode on a server, Server Properties, New License for a chosen server).

Why License Manager goes to the server directly, with that server's own token, is stated in
:mod:`applet.client.server_store`. The address defaults to the server's enrolled name (the
master does not know where a server's API listens); what connected last is remembered per server in
QSettings (``servers/<name>/address`` and ``servers/<name>/token_file``), saved by :meth:`remember` once
the server has answered, so a typo is not remembered.

The box only builds the connection; the dialog decides what to read with it and says why it failed
(one line), so the box stays the same in every dialog. :class:`RemoteServerDialog` is the frame of a
dialog that works on the server through a :class:`ServerAdminClient` itself (Server Properties): every
request to the server on a short-lived thread
(:meth:`applet.ui.gateway.StoreGateway.run_remote`) with the dialog's controls off meanwhile, a failure
said in one line with everything typed kept, a change refused because someone else changed the same
thing (409) followed by reading what the server has now, and the connection closed off the UI thread
when the dialog closes.
"""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from applet.client.master import RemoteAnswerError, RemoteError, ServerAdminClient
from applet.domain.errors import InvalidInput
from applet.domain.replication import parse_master_address
from applet.ui.gateway import StoreGateway
from applet.ui.manager.dialogs.base import buddy_label, error_line


class ServerConnectionBox(QWidget):
    """Address + token file + Connect for ``server``.

    Signals:
        connected(object): Connect built a :class:`ServerAdminClient` from what is typed (nothing has
            been asked of the server yet; the dialog reads with it and calls :meth:`remember`).
        refused(str): what is typed cannot be used (a bad address, no token file), in one line.
    """

    connected = Signal(object)
    refused = Signal(str)

    def __init__(self, server: str, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = server
        self.settings = settings
        self.setObjectName("server_connection")
        remembered = settings.value(f"{self._key}/address", "") if settings else ""
        token = settings.value(f"{self._key}/token_file", "") if settings else ""
        self.address = QLineEdit(str(remembered or server))
        self.address.setAccessibleName(self.tr("Server address"))
        self.token_file = QLineEdit(str(token or ""))
        self.token_file.setAccessibleName(self.tr("The server's administrator token file"))
        self.token_file.setPlaceholderText(self.tr("The server's admin.token, copied to this computer"))
        self.connect_button = QPushButton(self.tr("C&onnect"))
        self.connect_button.clicked.connect(self.connect_server)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(buddy_label(self.tr("&Server:"), self.address), self.address)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_file, 1)
        token_row.addWidget(self.connect_button)
        form.addRow(buddy_label(self.tr("Administrator &token:"), self.token_file), token_row)

    def set_server(self, server: str) -> None:
        """Show how to reach ``server`` instead (a dialog where the administrator chooses the server):
        what connected to it last, else its enrolled name and no token file."""
        self.server = server
        remembered = self.settings.value(f"{self._key}/address", "") if self.settings else ""
        token = self.settings.value(f"{self._key}/token_file", "") if self.settings else ""
        self.address.setText(str(remembered or server))
        self.token_file.setText(str(token or ""))

    @property
    def _key(self) -> str:
        return f"servers/{self.server.casefold()}"

    def set_busy(self, busy: bool) -> None:
        """Nothing to type or click while a request to the server is on its way."""
        for widget in (self.address, self.token_file, self.connect_button):
            widget.setEnabled(not busy)

    def client(self) -> ServerAdminClient:
        """A connection from what is typed; raises :class:`InvalidInput` or :class:`RemoteError`."""
        address = parse_master_address(self.address.text())
        if not self.token_file.text().strip():
            raise InvalidInput("choose the file with the server's administrator token")
        return ServerAdminClient(address, self.token_file.text().strip())

    def connect_server(self) -> None:
        """Connect: :attr:`connected` with a new client, or :attr:`refused` with why not."""
        try:
            client = self.client()
        except (InvalidInput, RemoteError) as error:
            self.refused.emit(str(error))
            return
        self.connected.emit(client)

    def remember(self, client: ServerAdminClient) -> None:
        """The server answered through ``client``: connect the same way next time."""
        if self.settings is not None:
            self.settings.setValue(f"{self._key}/address", client.name)
            self.settings.setValue(f"{self._key}/token_file", str(client.token_file))


class RemoteServerDialog(QDialog):
    """A dialog that administers ``server`` over its API (see the module). Subclasses read what they
    show in :meth:`read_server` and enable their controls in :meth:`update_state`."""

    def __init__(
        self,
        gateway: StoreGateway,
        server: str,
        settings: QSettings | None,
        name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.gateway = gateway
        self.server = server
        self.client: ServerAdminClient | None = None
        self.busy = False
        self.is_finished = False  # closed: answers still on their way are dropped
        self.connection = ServerConnectionBox(server, settings)
        self.connection.connected.connect(self._use_client)
        self.connection.refused.connect(self.show_error)
        self.error = error_line(f"{name.removesuffix('_dialog')}_error")

    def read_server(self, keep_edits: bool) -> None:
        """Read what the dialog shows from the server through :attr:`client` (with :meth:`request`);
        ``keep_edits``: after a refused change, show what the server has now but keep what is typed."""

    def update_state(self) -> None:
        """Enable the controls for the dialog's state (:attr:`busy`, what was read)."""

    def _use_client(self, client: ServerAdminClient) -> None:
        if self.client is not None:
            self.client.close()
        self.client = client
        self.show_error("")
        self.read_server(keep_edits=False)

    def show_error(self, message: str) -> None:
        """Say why in one line (empty: hide it); everything typed stays."""
        self.error.setText(" ".join(message.split()))
        self.error.setVisible(bool(message))
        self.adjustSize()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.connection.set_busy(busy)
        self.update_state()

    def request(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``job()`` (requests to the server) off the UI thread, then ``done(result)``; a failure is
        one line, and a change refused as a conflict (409) re-reads what the server has now."""
        self._set_busy(True)

        def finished(result: Any) -> None:
            if self.is_finished:
                return
            self.busy = False
            done(result)  # may start the next request
            self._set_busy(self.busy)

        def failed(error: Exception) -> None:
            if self.is_finished:
                return
            self.busy = False
            self.show_error(str(error))
            if isinstance(error, RemoteAnswerError) and error.status == 409 and self.client is not None:
                # Someone else changed it (or a rule refused): show what the server has now; what was
                # typed stays.
                self.read_server(keep_edits=True)
            self._set_busy(self.busy)

        self.gateway.run_remote(job, finished, failed)

    def done(self, result: int) -> None:
        self.is_finished = True
        if self.client is not None:
            client, self.client = self.client, None
            # Closed off the UI thread: a server that stopped answering must not hold the window.
            self.gateway.run_remote(client.close, lambda _none: None, lambda _error: None)
        super().done(result)
