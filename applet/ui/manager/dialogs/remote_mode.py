"""Choose Licensing Mode for a product on another server of the enterprise (Server Browser, connected to
a master: double-click a product of a server).

The dialog is the Licensing applet's own :class:`~applet.ui.licensing.choose_mode.ChooseLicensingModeDialog`
(Add Licenses, Remove Licenses by certificate, the Per Seat change, the agreements, the conflict
message), for that product only, hosted over the server's admin API: its gateway is a
:class:`~applet.ui.manager.server_gateway.ServerGateway` whose jobs get the server's products and
ledger (:class:`~applet.client.server_store.ServerStore`, where the design is stated: License Manager
talks to the server directly, with that server's own admin token).

Before it, a connect step: where the server's API listens and its admin token file
(:class:`~applet.ui.manager.dialogs.server_connection.ServerConnectionBox`). It is skipped when what
connected last (remembered per server) answers now; otherwise :class:`ServerConnectDialog` opens, with
the reason in one line when the remembered connection failed. The product is read through the
connection before the real dialog opens, so a wrong address or token is said there, not by a dialog
that closes at once.
"""

from collections.abc import Callable

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from applet.client.master import ServerAdminClient
from applet.client.server_store import ServerStore
from applet.store.access import AdminAccess
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.manager.dialogs.base import error_line
from applet.ui.manager.dialogs.server_connection import ServerConnectionBox
from applet.ui.manager.server_gateway import ServerGateway


class ServerConnectDialog(QDialog):
    """Connect to ``server`` to administer ``product`` there: address, token file, Connect, Cancel.

    Signals:
        ready(object): the server answered with the product through a new
            :class:`~applet.client.server_store.ServerStore` (remembered for next time); the dialog
            closes itself.
        unavailable(str): the server did not answer, or refused; the dialog shows why.
    """

    ready = Signal(object)
    unavailable = Signal(str)

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
        self.setObjectName("server_connect_dialog")
        self.setWindowTitle(self.tr("Connect to %1").replace("%1", server))
        intro = QLabel(
            self.tr(
                "To choose the licensing mode of %1 on %2, connect to that server with its "
                "administrator token."
            )
            .replace("%1", product)
            .replace("%2", server)
        )
        intro.setWordWrap(True)
        self.connection = ServerConnectionBox(server, settings)
        self.connection.connected.connect(self.try_client)
        self.connection.refused.connect(self.show_error)
        self.error = error_line("server_connect_error")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.connection)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 84)
        self.connection.connect_button.setDefault(True)

    @property
    def remembered(self) -> bool:
        """A connection to this server answered before (its token file is remembered)."""
        return bool(self.connection.token_file.text().strip())

    def show_error(self, message: str) -> None:
        """Say why in one line; everything typed stays."""
        self.error.setText(" ".join(message.split()))
        self.error.setVisible(bool(message))
        self.adjustSize()  # the wrapped lines get their height

    def try_client(self, client: ServerAdminClient) -> None:
        """Read the product through ``client``: :attr:`ready` if the server answers, else why not."""
        self.show_error("")
        self.connection.set_busy(True)
        store = ServerStore(client, self.product)

        def answered(_record: object) -> None:
            self.connection.set_busy(False)
            self.connection.remember(client)
            self.ready.emit(store)
            self.accept()

        def failed(error: Exception) -> None:
            self.connection.set_busy(False)
            self.show_error(str(error))
            self.unavailable.emit(str(error))
            # Closed off the UI thread: a server that does not answer must not hold the window.
            self.gateway.run_remote(client.close, lambda _none: None, lambda _error: None)

        self.gateway.run_remote(lambda: store.products.get(self.product), answered, failed)


def choose_remote_mode(
    parent: QWidget,
    gateway: StoreGateway,
    server: str,
    product: str,
    settings: QSettings | None,
    administrator: str,
    open_dialog: Callable[[QWidget], None],
    on_committed: Callable[[], None],
) -> None:
    """Open Choose Licensing Mode for ``product`` on ``server``: straight away when the remembered
    connection answers, else after :class:`ServerConnectDialog` (each opened with ``open_dialog``)."""
    step = ServerConnectDialog(gateway, server, product, settings, parent)

    def ready(store: object) -> None:
        assert isinstance(store, ServerStore)
        server_gateway = ServerGateway(store)
        # The server checks the credential and applies the rules; this desk's folder rights do not apply.
        dialog = ChooseLicensingModeDialog(
            server_gateway,
            parent,
            product=product,
            only_product=True,
            administrator=administrator,
            access=AdminAccess(may_change=True),
        )
        dialog.setWindowTitle(dialog.tr("Choose Licensing Mode on %1").replace("%1", server))
        dialog.finished.connect(lambda _result: server_gateway.close())
        dialog.committed.connect(on_committed)
        open_dialog(dialog)
        step.deleteLater()  # shown or not, it has done its part

    step.ready.connect(ready)
    if not step.remembered:
        open_dialog(step)
        return

    def show_step(_reason: str) -> None:
        if not step.isVisible():
            open_dialog(step)

    # What connected last is tried without showing the step; it opens, saying why, only if that fails.
    step.unavailable.connect(show_step)
    step.connection.refused.connect(show_step)
    step.connection.connect_server()
