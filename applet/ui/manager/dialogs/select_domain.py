"""License -> Select Domain...: which master License Manager shows the enterprise from (or this computer).

The administrator types the master's address (``HOST[:PORT]``, as the Enterprise Server box takes it)
and chooses the file holding the master's administrator token (its ``tokens/admin.token``, copied to
this desk owner-only); off loopback the connection is TLS, checked against the system's certificate
authorities or a certificate file chosen here (a self-signed master's ``cert.pem``). An empty master
means this computer's store, as without a master.

OK first asks the master whether it answers, on a thread of its own; only then does the window switch
to it. Until then the dialog stays open with what was typed, and says in one line why the master cannot
be used (it does not answer, speaks another API version, refuses the token, is no master).
"""

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from applet.client.master import MasterClient, RemoteError
from applet.domain.errors import InvalidInput
from applet.domain.replication import parse_master_address
from applet.ui.gateway import StoreGateway
from applet.ui.manager.dialogs.base import buddy_label, error_line


class SelectDomainDialog(QDialog):
    """Select Domain: a master and its administrator token, or this computer.

    Signals:
        connected(object, dict): the master answered: its :class:`MasterClient` and its summary.
        local_chosen(): the administrator chose this computer's store (an empty master).
    """

    connected = Signal(object, dict)
    local_chosen = Signal()

    def __init__(
        self,
        gateway: StoreGateway,
        master: str = "",
        token_file: str = "",
        certificate: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.setObjectName("select_domain_dialog")
        self.setWindowTitle(self.tr("Select Domain"))
        self.master = QLineEdit(master)
        self.master.setAccessibleName(self.tr("Master server"))
        self.master.setPlaceholderText(self.tr("HOST or HOST:PORT (empty: this computer)"))
        self.master.setMaxLength(260)
        self.token_file = QLineEdit(token_file)
        self.token_file.setAccessibleName(self.tr("Administrator token file"))
        self.token_file.setPlaceholderText(self.tr("The master's admin.token, copied to this computer"))
        self.certificate = QLineEdit(certificate)
        self.certificate.setAccessibleName(self.tr("Master's certificate file"))
        self.certificate.setPlaceholderText(self.tr("Optional: a self-signed master's cert.pem"))
        self.token_browse = QPushButton(self.tr("&Browse..."))
        self.token_browse.setAccessibleName(self.tr("Choose the administrator token file"))
        self.token_browse.clicked.connect(
            lambda: self._browse(self.token_file, self.tr("Token files (*.token)"))
        )
        self.certificate_browse = QPushButton(self.tr("B&rowse..."))
        self.certificate_browse.setAccessibleName(self.tr("Choose the master's certificate file"))
        self.certificate_browse.clicked.connect(
            lambda: self._browse(self.certificate, self.tr("Certificates (*.pem *.crt)"))
        )
        self.error = error_line("select_domain_error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.choose)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(buddy_label(self.tr("&Master server:"), self.master), self.master)
        form.addRow(
            buddy_label(self.tr("Administrator &token:"), self.token_file),
            _with_button(self.token_file, self.token_browse),
        )
        form.addRow(
            buddy_label(self.tr("&Certificate:"), self.certificate),
            _with_button(self.certificate, self.certificate_browse),
        )
        explanation = QLabel(
            self.tr(
                "License Manager shows the whole enterprise as the master server knows it. Leave the "
                "master empty to show this computer's licenses."
            )
        )
        explanation.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self._client: MasterClient | None = None

    def _browse(self, field: QLineEdit, filters: str) -> None:
        # A window-modal file dialog opened with open(): no nested event loop.
        chooser = QFileDialog(self, self.tr("Choose a File"), field.text(), filters)
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.fileSelected.connect(field.setText)
        self.file_chooser = chooser
        chooser.open()

    def show_error(self, message: str) -> None:
        """Say why the master cannot be used; everything typed stays."""
        self.error.setText(message)
        self.error.show()
        self.adjustSize()  # room for the message: the fields keep their height

    def _busy(self, busy: bool) -> None:
        for widget in (self.master, self.token_file, self.certificate, self.token_browse, self.buttons):
            widget.setEnabled(not busy)
        self.certificate_browse.setEnabled(not busy)

    def choose(self) -> None:
        """OK: this computer (empty master), or ask the master whether it answers, then switch to it."""
        text = self.master.text().strip()
        if not text:
            self.local_chosen.emit()
            self.accept()
            return
        try:
            address = parse_master_address(text)
            if not self.token_file.text().strip():
                raise InvalidInput("choose the file with the master's administrator token")
            client = MasterClient(
                address, self.token_file.text().strip(), certificate=self.certificate.text().strip() or None
            )
        except (InvalidInput, RemoteError) as error:
            self.show_error(str(error))
            return
        self._busy(True)
        self.show_error(self.tr("Connecting to %1...").replace("%1", str(address)))
        self._client = client

        def done(summary: dict[str, Any]) -> None:
            self._busy(False)
            self._client = None
            self.connected.emit(client, summary)
            self.accept()

        def failed(error: Exception) -> None:
            self._busy(False)
            self._client = None
            client.close()
            self.show_error(" ".join(str(error).split()))

        self.gateway.probe_master(client, done, failed)


def _with_button(field: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return row
