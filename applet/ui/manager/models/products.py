"""Products View's model: per product what was bought, what is used, and a compliance symbol."""

from PySide6.QtCore import QObject

from applet.domain.compliance import Compliance
from applet.store.records import ProductSummary
from applet.ui.manager.models.columns import Column, Translator
from applet.ui.manager.models.record_table import RecordTableModel
from applet.ui.manager.symbols import compliance_icon


def products_view_model(parent: QObject | None = None) -> RecordTableModel:
    """Products View: per product what was bought, what is used, and a compliance symbol."""
    tr = Translator(parent).tr
    columns = [
        Column(tr("Product"), lambda r: r.name),
        Column(tr("Mode"), lambda r: r.mode.label),
        Column(tr("Per Seat Purchased"), lambda r: r.per_seat_purchased, numeric=True),
        Column(tr("Per Seat Allocated"), lambda r: r.per_seat_allocated, numeric=True),
        Column(tr("Per Server Purchased"), lambda r: r.per_server_purchased, numeric=True),
        Column(
            tr("Per Server Reached"),
            lambda r: r.per_server_reached,
            numeric=True,
            tooltip=tr("The highest number of concurrent connections reached"),
        ),
        Column(tr("Compliance"), lambda r: compliance_label(r.compliance)),
    ]

    def decoration(record: ProductSummary, column: int) -> object:
        if column == 0:
            return compliance_icon(record.compliance)
        return None

    return RecordTableModel(columns, decoration, parent, key=lambda r: r.product_id)


def compliance_label(state: Compliance) -> str:
    """Translated words for a compliance state."""
    translator = Translator(None)
    return {
        Compliance.COMPLIANT: translator.tr("Compliant"),
        Compliance.AT_LIMIT: translator.tr("At the limit"),
        Compliance.OVER_LIMIT: translator.tr("Over the limit"),
    }[state]
