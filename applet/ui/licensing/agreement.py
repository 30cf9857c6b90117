"""The license agreements: Per Server Licensing (after adding licenses) and Per Seat Licensing (the flip).

OK stays disabled until the administrator ticks "I agree that:", as in the original. The agreement text
comes from ``resources/agreements/<kind>.html`` (a translated ``<kind>.<language>.html`` wins when it
exists); the statement next to the check box is a translatable string.
"""

import html
from enum import StrEnum

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from applet.resources import resource_path
from applet.ui.icons import icon
from applet.ui.licensing.help import ok_cancel_help_buttons, show_help


class AgreementKind(StrEnum):
    """Which agreement."""

    PER_SERVER = "per-server"
    PER_SEAT = "per-seat"


def agreement_html(kind: AgreementKind, **values: object) -> str:
    """The agreement text with ``{product}``, ``{quantity}``... filled in (HTML-escaped)."""
    folder = resource_path("agreements")
    language = QLocale.system().name().split("_")[0]
    localized = folder / f"{kind.value}.{language}.html"
    path = localized if localized.is_file() else folder / f"{kind.value}.html"
    template = path.read_text(encoding="utf-8")
    return template.format(**{key: html.escape(str(value)) for key, value in values.items()})


class AgreementDialog(QDialog):
    """One license agreement with its "I agree that:" check box."""

    def __init__(
        self,
        kind: AgreementKind,
        product: str,
        quantity: int = 0,
        total: int = 0,
        per_server: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"agreement_{kind.value.replace('-', '_')}")
        if kind is AgreementKind.PER_SERVER:
            self.setWindowTitle(self.tr("Per Server Licensing"))
            statement = self.tr(
                "I have purchased Client Access Licenses for %n additional concurrent connection(s) "
                "to %1, I have read the licensing terms above, and I agree to be bound by them.",
                "",
                quantity,
            ).replace("%1", product)
        else:
            self.setWindowTitle(self.tr("Per Seat Licensing"))
            statement = self.tr(
                "I have purchased a Client Access License for every client computer or user that "
                "will use %1, I understand that this change cannot be undone, and I agree to be bound "
                "by the licensing terms above."
            ).replace("%1", product)
        self.setWindowIcon(icon("agreement"))
        self.text = QTextBrowser(self)
        self.text.setObjectName("agreement_text")
        self.text.setAccessibleName(self.tr("License agreement"))
        self.text.setHtml(
            agreement_html(kind, product=product, quantity=quantity, total=total, per_server=per_server)
        )
        self.agree = QCheckBox(self.tr("I &agree that:"), self)
        self.agree.setObjectName("agree_check")
        self.agree.setAccessibleName(self.tr("I agree that"))
        self.statement = QLabel(statement, self)
        self.statement.setObjectName("agreement_statement")
        self.statement.setWordWrap(True)
        self.statement.setTextFormat(Qt.TextFormat.PlainText)
        self.statement.setBuddy(self.agree)
        self.agree.setAccessibleDescription(statement)
        self.buttons = ok_cancel_help_buttons(self, self.show_help)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setEnabled(False)
        self.agree.toggled.connect(self.ok_button.setEnabled)

        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.agree)
        indent = self.style().pixelMetric(self.style().PixelMetric.PM_IndicatorWidth) + 8
        self.statement.setContentsMargins(indent, 0, 0, 0)
        layout.addWidget(self.statement)
        layout.addWidget(self.buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 76, metrics.height() * 28)
        self.setTabOrder(self.text, self.agree)
        self.setTabOrder(self.agree, self.ok_button)
        self.agree.setFocus()

    def show_help(self) -> None:
        """Open the help at the topic of this agreement."""
        show_help(self, "per-seat" if self.kind is AgreementKind.PER_SEAT else "add-licenses")

    def accept(self) -> None:
        """Only with the box ticked (Enter on a disabled OK must not slip through)."""
        if self.agree.isChecked():
            super().accept()
