"""Server Properties of a server of the enterprise (Server Browser connected to a master: a server's
Properties, its context menu, or Enter on it).

Two tabs, as the original License Manager's Server Properties:

* **Products**: the server's products with their modes, Per Server licenses, Per Seat licenses
  purchased, peak and (read from the server) use now. At first the master's copy (what the server last
  replicated); once connected, what the server itself has now.
* **Replication**: that server's replication settings -- its master (Domain Controller or an
  Enterprise Server) and how often (Start At / Start Every) -- in the fields of the applet's Configure
  Replication (:class:`~applet.ui.licensing.replication_settings.ReplicationSettingsBox`, same checks),
  read from the server's API and changed there by OK; and, from the master, its last replication and
  state.

Like Choose Licensing Mode on a server, License Manager talks to the server directly with that
server's own admin token (the reasons are in :mod:`applet.client.server_store`); the master
is only asked what it knows of the server. The settings carry a revision: OK sends the one that was
read, and a server whose settings someone else changed meanwhile refuses (409) and writes nothing --
the dialog says so, shows what the server has now and keeps what was typed, so a second OK is a
deliberate choice.

A server that does not answer or refuses the token is one line, and the edits stay. A server removed
from the enterprise on the master (``lls enterprise remove``) while its properties are open is said on a
line of its own (the master refuses its batches from now on); the dialog keeps working on the server
itself.
"""

from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from applet.client.master import RemoteAnswerError
from applet.domain.errors import LicensingError
from applet.domain.products import LicenseMode
from applet.store.identity import current_administrator
from applet.store.records import ReplicationSettings
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.replication_settings import ReplicationSettingsBox
from applet.ui.manager.dialogs.base import error_line, table_view
from applet.ui.manager.dialogs.server_connection import RemoteServerDialog
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.enterprise import ServerWords, mode_label, server_state_text
from applet.ui.manager.models.record_table import RecordTableModel
from applet.ui.manager.models.server_tree import mode_icon
from applet.ui.manager.symbols import local_time

SCHEDULE = ("master", "enterprise_server", "frequency", "start_at", "every_hours")


class ServerPropertiesDialog(RemoteServerDialog):
    """Products and Replication of ``server`` (see the module).

    Signals:
        committed(): the server took the new replication settings.
        master_read(): what the master knows of the server was read (or why not is shown).
    """

    committed = Signal()
    master_read = Signal()

    def __init__(
        self,
        gateway: StoreGateway,
        server: str,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gateway, server, settings, "server_properties_dialog", parent)
        self.administrator = current_administrator()
        self.read: dict[str, Any] | None = None  # the replication settings as the server answered them
        self.removed = False
        self.setWindowTitle(self.tr("Server %1 Properties").replace("%1", server))

        self.products = RecordTableModel(
            [
                Column(self.tr("Product"), lambda r: r["product"]),
                Column(self.tr("Mode"), lambda r: mode_label(r["mode"])),
                Column(
                    self.tr("Per Server Licenses"), lambda r: r["per_server"], numeric=True, wrap_header=True
                ),
                Column(
                    self.tr("Per Seat Purchased"), lambda r: r["per_seat"], numeric=True, wrap_header=True
                ),
                Column(self.tr("Peak"), lambda r: r["peak"], numeric=True),
                Column(self.tr("In Use"), lambda r: r["in_use"], numeric=True),
            ],
            decoration=lambda r, column: mode_icon(LicenseMode.parse(r["mode"])) if column == 1 else None,
            parent=self,
            key=lambda r: r["product"],
        )
        self.products_view = table_view(self.products, self.tr("Products of the server"))
        self.products_source = QLabel(self.tr("Reading the master's copy..."))
        self.products_source.setObjectName("server_products_source")
        self.products_source.setWordWrap(True)
        products_page = QWidget()
        products_layout = QVBoxLayout(products_page)
        products_layout.addWidget(self.products_source)
        products_layout.addWidget(self.products_view, 1)

        self.replication_state = QLabel(self.tr("Last replication: reading the master..."))
        self.replication_state.setObjectName("server_replication_state")
        self.replication_state.setWordWrap(True)
        self.replication_note = QLabel(
            self.tr("Connect to the server to read and change its replication settings.")
        )
        self.replication_note.setObjectName("server_replication_note")
        self.replication_note.setWordWrap(True)
        self.replication = ReplicationSettingsBox(resolve_here=False)
        replication_page = QWidget()
        replication_layout = QVBoxLayout(replication_page)
        replication_layout.addWidget(self.replication_state)
        replication_layout.addWidget(self.replication_note)
        replication_layout.addWidget(self.replication)
        replication_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(products_page, self.tr("&Products"))
        self.tabs.addTab(replication_page, self.tr("&Replication"))
        self.removed_line = error_line("server_removed")
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.refresh_button.setAccessibleName(self.tr("Read the server and the master again"))
        self.refresh_button.clicked.connect(self.refresh)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.write)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.connection)
        layout.addWidget(self.removed_line)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumSize(640, 460)
        self.update_state()
        self.read_master()

    # ------------------------------------------------------------------ state

    def update_state(self) -> None:
        self.replication.set_editable(self.read is not None and not self.busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not self.busy)
        self.refresh_button.setEnabled(not self.busy)

    def refresh(self) -> None:
        """Read the master's view again, and the server when connected (edits kept)."""
        self.read_master()
        if self.client is not None:
            self.read_server(keep_edits=True)

    # ------------------------------------------------------------------ the master's view

    def read_master(self) -> None:
        """What the master knows of the server: its replication state and its products as replicated."""
        name = self.server

        def job(master: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
            row = next((r for r in master.servers() if r["name"].casefold() == name.casefold()), None)
            if row is None or row["state"] == "revoked":
                return row, None
            return row, master.server_products(name)

        def done(result: tuple[dict[str, Any] | None, list[dict[str, Any]] | None]) -> None:
            if self.is_finished:
                return
            row, products = result
            self.show_master_row(row)
            if products is not None and self.read is None:  # not yet read from the server itself
                self.products.set_records([_from_master(p) for p in products])
                self.products_source.setText(
                    self.tr("The master's copy: what %1 reported when it last replicated.").replace(
                        "%1", self.server
                    )
                )
            self.master_read.emit()

        def failed(error: Exception) -> None:
            if self.is_finished:
                return
            if isinstance(error, RemoteAnswerError) and error.status == 404:
                self.show_master_row(None)
            else:
                reason = " ".join(str(error).split())
                self.replication_state.setText(
                    self.tr("Last replication: cannot ask the master (%1)").replace("%1", reason)
                )
            self.master_read.emit()

        self.gateway.submit_master(job, done, failed)

    def show_master_row(self, row: dict[str, Any] | None) -> None:
        """Show the master's row for the server (None: the master no longer has it)."""
        if row is None or row["state"] == "revoked":
            self.removed = True
            self.removed_line.setText(
                self.tr(
                    "%1 was removed from the enterprise on the master (lls enterprise remove): the master "
                    "refuses its replication from now on. Its own settings can still be read and changed "
                    "here."
                ).replace("%1", self.server)
            )
            self.removed_line.show()
            self.replication_state.setText(self.tr("Last replication: removed from the master's enterprise"))
            if self.read is None:
                self.products_source.setText(self.tr("The master no longer keeps this server's products."))
            return
        state = server_state_text(row, ServerWords(self.tr))
        text = self.tr("Last replication (the master's view): %1")
        self.replication_state.setText(text.replace("%1", state))

    # ------------------------------------------------------------------ the server

    def read_server(self, keep_edits: bool) -> None:
        """Read the server's replication settings and products with its admin token."""
        client = self.client
        assert client is not None

        def job() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            return client.replication(), client.products()

        def done(result: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            settings, products = result
            self.read = settings
            self.connection.remember(client)
            if not keep_edits:
                self.replication.load(ReplicationSettings(**{key: settings[key] for key in SCHEDULE}))
            self.replication_note.setText(
                self.tr("On %1 now (revision %2): %3, changed %4 by %5.")
                .replace("%1", client.name)
                .replace("%2", str(settings["revision"]))
                .replace("%3", _schedule_words(settings, self.tr))
                .replace("%4", local_time(str(settings["changed"])))
                .replace("%5", str(settings["administrator"]))
            )
            self.products.set_records([_from_server(p) for p in products])
            self.products_source.setText(self.tr("Read from %1 now.").replace("%1", client.name))

        self.request(job, done)

    def write(self) -> None:
        """OK: write the Replication tab to the server at the revision read; nothing read: close."""
        client, read = self.client, self.read
        if client is None or read is None:
            self.accept()
            return
        try:
            wanted = self.replication.validated()
        except LicensingError as error:
            self.tabs.setCurrentIndex(1)
            self.show_error(str(error))
            return
        changes = {key: getattr(wanted, key) for key in SCHEDULE}
        if changes == {key: read[key] for key in SCHEDULE}:
            self.accept()  # nothing changed: nothing to write
            return
        administrator, revision = self.administrator, int(read["revision"])

        def done(_saved: dict[str, Any]) -> None:
            self.committed.emit()
            self.accept()

        self.show_error("")
        self.request(lambda: client.set_replication(changes, administrator, revision), done)

    def done(self, result: int) -> None:
        self.replication.shutdown()
        super().done(result)


def _from_master(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "product": row["product"],
        "mode": row["mode"],
        "per_server": row["per_server_licenses"],
        "per_seat": row["per_seat_licenses"],
        "peak": row["peak"],
        "in_use": None,  # the master knows what was replicated, not what is used now
    }


def _from_server(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "product": row["product"],
        "mode": row["mode"],
        # A server before release 5 answers only the licenses of the mode in force.
        "per_server": row.get("per_server_licenses", row["limit"] if row["mode"] == "per-server" else None),
        "per_seat": row.get("per_seat_licenses", row["limit"] if row["mode"] == "per-seat" else None),
        "peak": row["peak"],
        "in_use": row["in_use"],
    }


def _schedule_words(settings: dict[str, Any], tr: Any) -> str:
    master = (
        tr("Enterprise Server %1").replace("%1", str(settings["enterprise_server"]))
        if settings["master"] == "enterprise-server"
        else tr("Domain Controller")
    )
    frequency = (
        tr("start at %1").replace("%1", str(settings["start_at"]))
        if settings["frequency"] == "start-at"
        else tr("every %n hour(s)", "", int(settings["every_hours"]))
    )
    return f"{master}, {frequency}"
