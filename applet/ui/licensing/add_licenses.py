"""Add Licenses: how many Per Server licenses were bought, and a comment (the purchase-history line)."""

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from applet.domain.validation import MAX_COMMENT_LENGTH
from applet.ui.icons import icon
from applet.ui.licensing.help import ok_cancel_help_buttons, show_help

MAX_ADD = 999_999


class AddLicensesDialog(QDialog):
    """Product (fixed), Quantity (1..999,999) and Comment; OK then shows the Per Server agreement."""

    def __init__(self, product: str, current: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("add_licenses_dialog")
        self.setWindowTitle(self.tr("New Client Access License"))
        self.setWindowIcon(icon("add"))
        self.product_label = QLabel(product, self)
        self.product_label.setObjectName("product_name")
        self.product_label.setAccessibleName(self.tr("Product"))
        self.current_label = QLabel(self.tr("%n concurrent connection(s)", "", current), self)
        self.current_label.setObjectName("current_licenses")
        self.quantity = QSpinBox(self)
        self.quantity.setObjectName("quantity_spin")
        self.quantity.setRange(1, MAX_ADD)
        self.quantity.setValue(1)
        self.quantity.setGroupSeparatorShown(True)
        self.quantity.setAccessibleName(self.tr("Quantity"))
        self.quantity.setAccessibleDescription(self.tr("Number of licenses purchased, 1 to 999,999"))
        self.comment = QLineEdit(self)
        self.comment.setObjectName("comment_edit")
        self.comment.setMaxLength(MAX_COMMENT_LENGTH)
        self.comment.setAccessibleName(self.tr("Comment"))
        self.comment.setPlaceholderText(self.tr("order or certificate number"))

        form = QFormLayout()
        form.addRow(self.tr("Product:"), self.product_label)
        form.addRow(self.tr("Now licensed:"), self.current_label)
        quantity_label = QLabel(self.tr("&Quantity:"), self)
        quantity_label.setBuddy(self.quantity)
        form.addRow(quantity_label, self.quantity)
        comment_label = QLabel(self.tr("C&omment:"), self)
        comment_label.setBuddy(self.comment)
        form.addRow(comment_label, self.comment)

        self.buttons = ok_cancel_help_buttons(self, self.show_help)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 56)
        self.quantity.selectAll()
        self.quantity.setFocus()

    def show_help(self) -> None:
        """Open the help at Add Licenses."""
        show_help(self, "add-licenses")

    def values(self) -> tuple[int, str]:
        """The quantity and comment entered."""
        return self.quantity.value(), self.comment.text().strip()
