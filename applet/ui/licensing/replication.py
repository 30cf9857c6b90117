"""Configure Replication: where this server sends its license data (Master Server) and how often.

The dialog is titled Configure Replication, as KB193218 names it. Its fields are the
:class:`~applet.ui.licensing.replication_settings.ReplicationSettingsBox` (shared with License
Manager's Server Properties), which shows what the Enterprise Server resolves to. OK validates -- the
Enterprise Server as administrators type it (a NetBIOS name such as LIC_MASTER or \\\\LICMASTER, a DNS
name or an address, each with an optional :port; :func:`applet.domain.replication.parse_master_address`,
as ``lls replication set``), 1..72 hours -- and writes the settings at once through
``store.replication.set``; a refusal or a locked store shows a message and keeps the dialog open with
everything typed. The write names the revision the dialog read: when another window or ``lls
replication set`` changed the settings meanwhile, nothing is overwritten; the administrator is told,
the dialog learns the new revision (what was typed stays), and a second OK is a deliberate overwrite.

The store is read and written through the :class:`~applet.ui.gateway.StoreGateway`, never on the UI
thread: the dialog opens with "Loading…" and its controls disabled until the settings arrive
(``loaded``, from :class:`~applet.ui.gateway_dialog.GatewayDialog`), and OK's write is one gateway
job (the dialog closes when the store has taken it).
"""

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from applet.domain.errors import LicensingError
from applet.store import StoreError
from applet.store.identity import current_administrator
from applet.store.products import ConcurrentChange
from applet.store.records import ReplicationSettings
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.gateway_dialog import GatewayDialog
from applet.ui.icons import icon
from applet.ui.licensing.help import ok_cancel_help_buttons, show_help
from applet.ui.licensing.replication_settings import ReplicationSettingsBox

if TYPE_CHECKING:
    from applet.store import Store


class ReplicationDialog(GatewayDialog):
    """Master Server (Domain Controller / Enterprise Server) and Replication Frequency (:attr:`fields`).

    Signals:
        loaded: the settings were read and are shown.
    """

    def __init__(self, gateway: StoreGateway, parent: QWidget | None = None) -> None:
        super().__init__(gateway, parent)
        self.setObjectName("replication_dialog")
        self.setWindowTitle(self.tr("Configure Replication"))
        self.setWindowIcon(icon("replication"))

        self.fields = ReplicationSettingsBox(self)
        self.read_revision: int | None = None  # of the settings shown: OK writes only over that one

        self.buttons = ok_cancel_help_buttons(self, self.show_help)
        # "Loading…" until the settings arrive, "Saving…" while OK's write is on its way. It sits
        # beside the buttons, not on a row of its own, so hiding it leaves no blank row behind.
        self.status_label = QLabel(self.tr("Loading…"), self)
        self.status_label.setObjectName("replication_status_label")
        button_row = QHBoxLayout()
        button_row.addWidget(self.status_label)
        button_row.addWidget(self.buttons, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.fields)
        layout.addLayout(button_row)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)

        self._set_busy(True)
        self.submit(lambda store: store.replication.get(), self._arrived, self._load_failed)

    def _set_busy(self, busy: bool) -> None:
        """Controls off while the settings load or OK writes them (Help stays on)."""
        self.fields.set_editable(not busy)
        standard = self.buttons.StandardButton
        self.buttons.button(standard.Ok).setEnabled(not busy)
        self.buttons.button(standard.Cancel).setEnabled(not self.writing)
        self.status_label.setVisible(busy)

    def _arrived(self, settings: ReplicationSettings) -> None:
        self.read_revision = settings.revision
        self.fields.load(settings)
        self.is_loaded = True
        self._set_busy(False)
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        """Nothing to show: say why and close."""
        if not isinstance(error, StoreError):
            raise error
        self.close_unloaded(self.tr("Configure Replication"), error)

    def done(self, result: int) -> None:
        """Close; a name still being resolved is not waited for."""
        self.fields.shutdown()
        super().done(result)

    def show_help(self) -> None:
        """Open the help at Replication."""
        show_help(self, "replication")

    def accept(self) -> None:
        """Validate and save; on a refusal or a store fault keep the dialog open."""
        if not self.is_loaded or self.writing:
            return
        title = self.tr("Configure Replication")
        try:
            clean = self.fields.validated()
        except LicensingError as error:
            messages.warning(self, title, self.tr("The replication settings were not saved."), str(error))
            return
        administrator = current_administrator()

        def saved(_result: object) -> None:
            self.writing = False
            self._set_busy(False)
            super(ReplicationDialog, self).accept()

        def failed(error: Exception) -> None:
            self.writing = False
            self._set_busy(False)
            if isinstance(error, ConcurrentChange):
                # Someone else saved first: keep what was typed, learn their revision, say so.
                self._set_busy(True)
                self.submit(lambda store: store.replication.get(), self._revision_reread, self._load_failed)
                messages.warning(
                    self,
                    title,
                    self.tr("The replication settings were not saved."),
                    f"{error}\n\n"
                    + self.tr("Click OK again to save what you typed over them, or Cancel to keep them."),
                )
                return
            if isinstance(error, LicensingError):
                messages.warning(self, title, self.tr("The replication settings were not saved."), str(error))
                return
            if not isinstance(error, StoreError):
                raise error
            messages.critical(
                self,
                title,
                self.tr("The replication settings could not be saved. Nothing you typed was lost."),
                str(error),
            )

        self.writing = True
        self.status_label.setText(self.tr("Saving…"))
        self._set_busy(True)
        expected = self.read_revision

        def write(store: "Store") -> ReplicationSettings:
            return store.replication.set(clean, administrator, expected_revision=expected)

        self.submit(write, saved, failed)

    def _revision_reread(self, settings: ReplicationSettings) -> None:
        """After a conflict: the current revision, so that a second OK overwrites knowingly."""
        self.read_revision = settings.revision
        self._set_busy(False)
