"""Select Certificate to Remove Licenses: the product's certificates, and how many licenses to remove.

Every purchase is a certificate that knows what is left on it. The caller passes the certificates
with licenses left (spent ones are not shown), with ``remaining`` already less what the applet has
staged; they are a :class:`PurchaseTableModel` (a ``QAbstractTableModel``) in a ``QTableView``. The
number to remove is limited to what is left on the selected certificate; the removal becomes a negative
purchase-history line that names the certificate (and, unless the administrator writes a comment, says
which purchase it came from). Remove with no certificate selected says so in a message box.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from applet.domain.validation import MAX_COMMENT_LENGTH
from applet.store.records import PurchaseRecord
from applet.ui import messages
from applet.ui.icons import icon
from applet.ui.licensing.help import ok_cancel_help_buttons, show_help

AnyIndex = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def local_time(iso: str) -> str:
    """A stored UTC time as local time, ``YYYY-MM-DD HH:MM``."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    # ISO order reads the same in every locale and sorts as text.
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class PurchaseTableModel(QAbstractTableModel):
    """Certificates (purchase-history lines): Date, Quantity, Remaining, Comment, Administrator."""

    COLUMNS: tuple[str, ...] = (
        str(QT_TRANSLATE_NOOP("PurchaseTableModel", "Date")),
        str(QT_TRANSLATE_NOOP("PurchaseTableModel", "Quantity")),
        str(QT_TRANSLATE_NOOP("PurchaseTableModel", "Remaining")),
        str(QT_TRANSLATE_NOOP("PurchaseTableModel", "Comment")),
        str(QT_TRANSLATE_NOOP("PurchaseTableModel", "Administrator")),
    )
    NUMBER_COLUMNS = (1, 2)

    def __init__(self, purchases: Sequence[PurchaseRecord] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PurchaseRecord] = list(purchases)

    def set_purchases(self, purchases: Sequence[PurchaseRecord]) -> None:
        """Replace the rows."""
        self.beginResetModel()
        self._rows = list(purchases)
        self.endResetModel()

    def purchase(self, row: int) -> PurchaseRecord:
        """The record shown in ``row``."""
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """Rows (a table: children of the root only)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """Columns."""
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.COLUMNS):
            return QCoreApplication.translate("PurchaseTableModel", self.COLUMNS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell values: display text, alignment, and native values for sorting."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = index.column()
        remaining = record.quantity if record.remaining is None else record.remaining
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                local_time(record.created),
                f"{record.quantity:,}",
                f"{remaining:,}",
                record.comment,
                record.administrator,
            )[column]
        if role == SORT_ROLE:
            return (record.created, record.quantity, remaining, record.comment, record.administrator)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.comment or None
        return None


class RemoveLicensesDialog(QDialog):
    """Select Certificate to Remove Licenses."""

    def __init__(
        self, product: str, certificates: Sequence[PurchaseRecord], left: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.product = product
        self.left = left
        self.setObjectName("remove_licenses_dialog")
        self.setWindowTitle(self.tr("Select Certificate to Remove Licenses"))
        self.setWindowIcon(icon("remove"))
        intro = QLabel(
            self.tr(
                "%1 has %n Per Server license(s). Select the certificate (purchase) the licenses came "
                "from and enter how many to remove; no more than what remains on it.",
                "",
                left,
            ).replace("%1", product),
            self,
        )
        intro.setWordWrap(True)
        self.model = PurchaseTableModel(certificates, self)
        self.table = QTableView(self)
        self.table.setObjectName("purchases_table")
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Certificates"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line per certificate; a long comment is elided (tooltip: all)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        purchases_label = QLabel(self.tr("&Certificates:"), self)
        purchases_label.setBuddy(self.table)

        self.quantity = QSpinBox(self)
        self.quantity.setObjectName("remove_quantity_spin")
        self.quantity.setRange(1, max(1, left))
        self.quantity.setGroupSeparatorShown(True)
        self.quantity.setAccessibleName(self.tr("Number of licenses to remove"))
        self.comment = QLineEdit(self)
        self.comment.setObjectName("remove_comment_edit")
        self.comment.setMaxLength(MAX_COMMENT_LENGTH)
        self.comment.setAccessibleName(self.tr("Comment"))
        form = QFormLayout()
        quantity_label = QLabel(self.tr("&Number of licenses to remove:"), self)
        quantity_label.setBuddy(self.quantity)
        form.addRow(quantity_label, self.quantity)
        comment_label = QLabel(self.tr("C&omment:"), self)
        comment_label.setBuddy(self.comment)
        form.addRow(comment_label, self.comment)

        self.buttons = ok_cancel_help_buttons(self, self.show_help)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("&Remove"))
        self.ok_button.setAccessibleName(self.tr("Remove"))
        self.ok_button.setEnabled(self.model.rowCount() > 0)
        self.table.selectionModel().currentRowChanged.connect(self._purchase_selected)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(purchases_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 100, metrics.height() * 20)
        self.setTabOrder(self.table, self.quantity)
        self.setTabOrder(self.quantity, self.comment)
        if self.model.rowCount():
            self.table.selectRow(0)
        self.table.setFocus()

    def _purchase_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        record = self.model.purchase(current.row())
        # A certificate gives back no more than is left on it (nor than the product has left).
        remaining = record.quantity if record.remaining is None else record.remaining
        self.quantity.setMaximum(max(1, min(self.left, remaining)))

    def selected_purchase(self) -> PurchaseRecord | None:
        """The purchase (certificate) selected, if any."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.purchase(rows[0].row()) if rows else None

    def accept(self) -> None:
        """Remove: only with a certificate selected (else say so and stay open)."""
        if self.selected_purchase() is None:
            messages.warning(
                self,
                self.tr("Remove Licenses"),
                self.tr("Select the certificate to remove the licenses from."),
            )
            return
        super().accept()

    def show_help(self) -> None:
        """Open the help at Remove Licenses."""
        show_help(self, "remove-licenses")

    def values(self) -> tuple[int, str, int | None]:
        """The number to remove, the comment for the history line, and the certificate (purchase id)."""
        comment = self.comment.text().strip()
        selected = self.selected_purchase()
        if selected is not None and not comment:
            when = selected.created[:10]
            comment = self.tr("from the purchase of %1").replace("%1", when)
            if selected.comment:
                comment += f" ({selected.comment})"
        certificate = selected.purchase_id if selected is not None else None
        return self.quantity.value(), comment[:MAX_COMMENT_LENGTH], certificate
