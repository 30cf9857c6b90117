"""New Client Access License: product, Per Seat or Per Server, quantity, comment, agreement.

On this computer (:class:`NewLicenseDialog`) the purchase goes to the local store through the gateway.

Connected to a master (:class:`EnterpriseNewLicenseDialog`) the licenses are the enterprise's:

* **Per Seat** licenses count enterprise-wide: the enterprise Per Seat pool of a product is its Per Seat
  purchases on every server, the master's own included. So an enterprise purchase is one recorded in the
  master's own ledger, through the master's admin API with the master's token (the connection License
  Manager already has); a product only the servers run is registered on the master with it. The master
  enters its own change into its enterprise views before it answers, so Purchase History (Server: the
  master) and Products View's Per Seat total show it when the dialog closes.
* **Per Server** licenses belong to one server: the dialog asks which (the enterprise's servers, as the
  master lists them) and writes to that server's own API with that server's admin token, as Choose
  Licensing Mode on a server does (:mod:`applet.client.server_store` says why directly and not
  through the master). The server applies its rules (agreement, a product it has); the master's views
  catch up at the server's next replication.

Either way the request runs off the UI thread; a master or server that does not answer, a refused
credential or a refused purchase is one line in the dialog, which stays open with everything typed, and
nothing is written.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from applet.client.master import RemoteError, ServerAdminClient
from applet.domain.errors import InvalidInput
from applet.domain.products import LicenseMode
from applet.domain.validation import MAX_QUANTITY, parse_quantity
from applet.store import Store
from applet.store.records import ProductRecord
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.dialogs.base import StoreDialog, buddy_label, error_line
from applet.ui.manager.dialogs.server_connection import ServerConnectionBox

if TYPE_CHECKING:
    from applet.client.master import MasterClient


class LicenseDialog(StoreDialog):
    """What both New License dialogs show: product, Per Seat or Per Server, quantity, comment,
    agreement. A subclass adds its rows to :attr:`form` and calls :meth:`start` once they are in.

    Signals:
        added(object): the purchase that was recorded.
    """

    added = Signal(object)

    def __init__(self, gateway: StoreGateway, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(gateway, parent)
        self.setObjectName("new_license_dialog")
        self.setWindowTitle(self.tr("New Client Access License"))
        self.setWindowIcon(icon("add"))

        self.product_box = QComboBox()
        self.product_box.setAccessibleName(self.tr("Product"))
        self.product_box.addItems(names)
        self.per_seat = QRadioButton(self.tr("Per &Seat"))
        self.per_server = QRadioButton(self.tr("Per Se&rver"))
        self.per_seat.setAccessibleName(self.tr("Per Seat licenses"))
        self.per_server.setAccessibleName(self.tr("Per Server licenses"))
        modes = QButtonGroup(self)
        modes.addButton(self.per_seat)
        modes.addButton(self.per_server)
        self.quantity = QSpinBox()
        self.quantity.setRange(1, MAX_QUANTITY)
        self.quantity.setAccessibleName(self.tr("Quantity"))
        self.quantity.setGroupSeparatorShown(True)
        self.comment = QLineEdit()
        self.comment.setAccessibleName(self.tr("Comment"))
        self.comment.setPlaceholderText(self.tr("Order number, supplier, reason..."))
        self.comment.setMaxLength(1024)
        self.agree = QCheckBox(
            self.tr(
                "I agree that I have purchased these licenses and will use them under their license terms."
            )
        )
        self.agree.setAccessibleName(self.tr("I agree to the license terms"))
        self.state = QLabel()
        self.state.setWordWrap(True)

        mode_row = QHBoxLayout()
        mode_row.addWidget(self.per_seat)
        mode_row.addWidget(self.per_server)
        mode_row.addStretch(1)
        self.form = QFormLayout()
        self.form.addRow(buddy_label(self.tr("&Product:"), self.product_box), self.product_box)
        self.form.addRow(self.tr("Licensing mode:"), mode_row)
        self.form.addRow(buddy_label(self.tr("&Quantity:"), self.quantity), self.quantity)
        self.form.addRow(buddy_label(self.tr("&Comment:"), self.comment), self.comment)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setAccessibleName(self.tr("Add the licenses"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.rows = QVBoxLayout(self)
        self.rows.addLayout(self.form)
        self.rows.addWidget(self.state)
        self.rows.addWidget(self.agree)
        self.rows.addWidget(self.buttons)

    def start(self, product: str | None) -> None:
        """Show ``product`` (else the first), once the subclass's rows are in."""
        self.product_box.currentTextChanged.connect(self._product_changed)
        self.agree.toggled.connect(self._update_buttons)
        if product is not None and self.product_box.findText(product) >= 0:
            self.product_box.setCurrentText(product)
        self._product_changed(self.product_box.currentText())

    def _product_changed(self, name: str) -> None:
        """Show what is known of product ``name`` (subclasses)."""

    def typed_quantity(self) -> object:
        """The quantity as typed: a spin box holds its last valid value while the field shows
        something else (the store's check then refuses it with the reason)."""
        typed = self.quantity.cleanText().replace(self.locale().groupSeparator(), "").strip()
        return typed or self.quantity.value()

    @property
    def mode(self) -> LicenseMode:
        """The licensing mode the licenses are for."""
        return LicenseMode.PER_SEAT if self.per_seat.isChecked() else LicenseMode.PER_SERVER


class NewLicenseDialog(LicenseDialog):
    """New Client Access License on this computer's store."""

    def __init__(
        self,
        gateway: StoreGateway,
        products: list[ProductRecord],
        product: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gateway, [record.name for record in products], parent)
        self._products = {record.name: record for record in products}
        self.start(product)

    def _product_changed(self, name: str) -> None:
        record = self._products.get(name)
        if record is None:
            self.state.setText(self.tr("No product is registered; add one with the Licensing applet."))
        else:
            (self.per_seat if record.mode is LicenseMode.PER_SEAT else self.per_server).setChecked(True)
            self.state.setText(
                self.tr("%1 is licensed %2: %3 Per Server and %4 Per Seat licenses recorded.")
                .replace("%1", record.name)
                .replace("%2", record.mode.label)
                .replace("%3", f"{record.per_server_licenses:,}")
                .replace("%4", f"{record.per_seat_licenses:,}")
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.ok_button.setEnabled(
            not self.writing and self.agree.isChecked() and self.product_box.currentText() in self._products
        )

    def accept(self) -> None:
        """Record the purchase; close only once the store has it."""
        if self.writing or not self.ok_button.isEnabled():
            return
        product = self.product_box.currentText()
        quantity = self.typed_quantity()
        comment = self.comment.text()
        mode = self.mode
        administrator = self.administrator

        def job(store: Store) -> Any:
            return store.ledger.add(product, quantity, administrator, agreed=True, comment=comment, mode=mode)

        def done(purchase: Any) -> None:
            self.added.emit(purchase)
            QDialog.accept(self)

        self.write(job, done)


class EnterpriseNewLicenseDialog(LicenseDialog):
    """New Client Access License connected to a master (see the module's description).

    ``products`` and ``servers`` are the master's enterprise views (:meth:`MasterClient.products`,
    :meth:`MasterClient.servers`); ``master`` is the master's name, as its Server column shows it.
    """

    def __init__(
        self,
        gateway: StoreGateway,
        products: list[dict[str, Any]],
        servers: list[dict[str, Any]],
        master: str,
        settings: QSettings | None = None,
        product: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gateway, [row["product"] for row in products], parent)
        self._products = {row["product"]: row for row in products}
        self.master = master
        self.for_enterprise = QLabel(
            self.tr(
                "The enterprise: recorded on the master %1, counted in the Per Seat pool of every server."
            ).replace("%1", master)
        )
        self.for_enterprise.setWordWrap(True)
        self.server_box = QComboBox()
        self.server_box.setAccessibleName(self.tr("The server the licenses are for"))
        self.server_box.addItems([str(row["name"]) for row in servers])
        self.connection = ServerConnectionBox(self.server_box.currentText(), settings)
        # The server's own rows first, in the box's form, so that the three labels line up.
        connection_form = self.connection.layout()
        assert isinstance(connection_form, QFormLayout)
        connection_form.insertRow(0, buddy_label(self.tr("For ser&ver:"), self.server_box), self.server_box)
        self.server_group = QGroupBox(self.tr("Per Server licenses are for one server"))
        QVBoxLayout(self.server_group).addWidget(self.connection)
        self.error = error_line("new_license_error")
        self.form.insertRow(2, self.tr("For:"), self.for_enterprise)
        self.form.insertRow(3, self.server_group)
        self.rows.insertWidget(self.rows.indexOf(self.buttons), self.error)
        # Tab follows the rows as shown: the server's rows come between the mode and the quantity.
        box = self.connection
        chain = [self.per_server, self.server_box, box.address, box.token_file, box.connect_button]
        for before, after in zip(chain, [*chain[1:], self.quantity], strict=True):
            QWidget.setTabOrder(before, after)

        self.per_seat.toggled.connect(self._mode_changed)
        self.server_box.currentTextChanged.connect(self._server_changed)
        self.connection.connected.connect(self._read_server)
        self.connection.refused.connect(self.show_error)
        self.start(product)
        self._mode_changed()

    # ------------------------------------------------------------------ state

    def show_error(self, message: str) -> None:
        """Say why in one line (empty: hide it); everything typed stays."""
        self.error.setText(" ".join(message.split()))
        self.error.setVisible(bool(message))
        self.adjustSize()  # the line's height, not the rows above it

    def _busy(self, busy: bool) -> None:
        super()._busy(busy)
        self.connection.set_busy(busy)

    def _update_buttons(self) -> None:
        chosen = self.per_seat.isChecked() or bool(self.server_box.currentText())
        self.ok_button.setEnabled(
            not self.writing
            and self.agree.isChecked()
            and self.product_box.currentText() in self._products
            and chosen
        )

    def _mode_changed(self, *_args: object) -> None:
        per_server = self.per_server.isChecked()
        self.form.setRowVisible(2, not per_server)
        self.form.setRowVisible(3, per_server)
        self.show_error("")
        self._show_product()

    def _product_changed(self, name: str) -> None:
        record = self._products.get(name)
        if record is not None:
            modes = {server["mode"] for server in record["servers"]}
            per_seat = record["per_seat_purchased"] > 0 or "per-seat" in modes
            (self.per_seat if per_seat else self.per_server).setChecked(True)
            # The chosen server keeps its place when it has the product; else one that has it.
            having = [server["server"] for server in record["servers"] if server["mode"] == "per-server"]
            having += [server["server"] for server in record["servers"]]
            current = self.server_box.currentText().casefold()
            if having and current not in {server.casefold() for server in having}:
                index = self.server_box.findText(having[0])
                if index >= 0:
                    self.server_box.setCurrentIndex(index)
        self._show_product()

    def _server_changed(self, server: str) -> None:
        self.connection.set_server(server)
        self.show_error("")
        self._show_product()

    def _show_product(self) -> None:
        """What the master knows of the product: the enterprise pool, or the chosen server's licenses."""
        record = self._products.get(self.product_box.currentText())
        if record is None:
            self.state.setText(self.tr("No product is reported in the enterprise yet."))
        elif self.per_seat.isChecked():
            self.state.setText(
                self.tr("%1 in the enterprise: %2 Per Seat licenses purchased, %3 users, %4 unlicensed.")
                .replace("%1", record["product"])
                .replace("%2", f"{record['per_seat_purchased']:,}")
                .replace("%3", f"{record['per_seat_users']:,}")
                .replace("%4", f"{record['per_seat_unlicensed']:,}")
            )
        else:
            server = self.server_box.currentText()
            reported = next(
                (row for row in record["servers"] if row["server"].casefold() == server.casefold()), None
            )
            if reported is None:
                text = self.tr("%1 has not reported %2 to the master.")
            else:
                mode = LicenseMode.parse(reported["mode"])
                text = (
                    self.tr("%2 on %1, as the master last heard: licensed %3, %4 Per Server licenses.")
                    .replace("%3", mode.label)
                    .replace("%4", f"{reported['per_server_licenses']:,}")
                )
            self.state.setText(text.replace("%1", server).replace("%2", record["product"]))
        self._update_buttons()

    def _read_server(self, client: ServerAdminClient) -> None:
        """Connect: the product as the chosen server stores it now."""
        product, server = self.product_box.currentText(), self.server_box.currentText()
        self.show_error("")

        def done(record: dict[str, Any]) -> None:
            self.connection.remember(client)
            mode = LicenseMode.parse(record["mode"])
            self.state.setText(
                self.tr("%1 on %2 (%3): licensed %4, %5 Per Server and %6 Per Seat licenses.")
                .replace("%1", product)
                .replace("%2", server)
                .replace("%3", client.name)
                .replace("%4", mode.label)
                .replace("%5", f"{record['per_server_licenses']:,}")
                .replace("%6", f"{record['per_seat_licenses']:,}")
            )

        self._request(lambda: _closing(client, lambda: client.product(product)), done)

    # ------------------------------------------------------------------ writing

    def _request(self, job: Callable[..., Any], done: Callable[[Any], None], on_master: bool = False) -> None:
        """Run ``job`` off the UI thread: on the master's lane (``on_master``: ``job`` takes the
        master's client) or on a thread of its own (a request to a server); then ``done``, or one line
        saying why not."""
        self._busy(True)

        def finished(result: Any) -> None:
            self._busy(False)
            done(result)

        def failed(error: Exception) -> None:
            self._busy(False)
            self.show_error(str(error))

        if on_master:
            self.gateway.submit_master(job, finished, failed)
        else:
            self.gateway.run_remote(job, finished, failed)

    def accept(self) -> None:
        """Record the purchase on the master (Per Seat) or the chosen server (Per Server); close only
        once it answered that it has it."""
        if self.writing or not self.ok_button.isEnabled():
            return
        product, comment, administrator = (
            self.product_box.currentText(),
            self.comment.text(),
            self.administrator,
        )
        try:
            quantity = parse_quantity(self.typed_quantity())
            client = None if self.per_seat.isChecked() else self.connection.client()
        except (InvalidInput, RemoteError) as error:
            self.show_error(str(error))
            return
        self.show_error("")

        def done(purchase: Any) -> None:
            if client is not None:
                self.connection.remember(client)
            self.added.emit(purchase)
            QDialog.accept(self)

        if client is None:
            if self.gateway.master is None:  # License Manager left the master meanwhile
                self.show_error(self.tr("License Manager is no longer connected to a master."))
                return

            def purchase(master: "MasterClient") -> Any:
                return master.add_enterprise_licenses(product, quantity, administrator, comment, True)

            self._request(purchase, done, on_master=True)
            return
        server = client

        def add() -> Any:
            def write() -> Any:
                record = server.product(product)
                return server.add_licenses(
                    product, quantity, administrator, comment, True, record["revision"]
                )

            return _closing(server, write)

        self._request(add, done)


def _closing(client: ServerAdminClient, call: Callable[[], Any]) -> Any:
    """``call()``, then the client's connection closed (on the request's own thread)."""
    try:
        return call()
    finally:
        client.close()
