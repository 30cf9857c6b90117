"""Where to reach one server of the enterprise and with which credential: the address, the server's
administrator token file and Connect, as every dialog that administers another server shows them
(Choose Licensing Mode on a server, Server Properties, New License for a chosen server).

Why License Manager goes to the server directly, with that server's own token, is stated in
:mod:`applet.client.server_store`. The address defaults to the server's enrolled name (the
master does not know where a server's API listens); what connected last is remembered per server in
QSettings (``servers/<name>/address`` and ``servers/<name>/token_file``), saved by :meth:`remember` once
the server has answered, so a typo is not remembered.

The box only builds the connection; the dialog decides what to read with it and says why it failed
(one line), so the box stays the same in every dialog.
"""

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from applet.client.master import RemoteError, ServerAdminClient
from applet.domain.errors import InvalidInput
from applet.domain.replication import parse_master_address
from applet.ui.manager.dialogs.base import buddy_label


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
