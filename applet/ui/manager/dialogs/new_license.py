"""New Client Access License: product, Per Seat or Per Server, quantity, comment, agreement."""

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from applet.domain.products import LicenseMode
from applet.domain.validation import MAX_QUANTITY
from applet.store import Store
from applet.store.records import ProductRecord
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.dialogs.base import StoreDialog, buddy_label


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
