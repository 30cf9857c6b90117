"""Products View's model: per product what was bought, what is used, and a compliance symbol."""

from collections.abc import Callable

from PySide6.QtCore import QObject

from applet.domain.compliance import Compliance
from applet.domain.products import LicenseMode
from applet.store.records import ProductSummary
from applet.ui.manager.models.columns import Column, Translator
from applet.ui.manager.models.record_table import RecordTableModel
from applet.ui.manager.symbols import compliance_icon


def products_view_model(parent: QObject | None = None) -> RecordTableModel:
    """Products View: per product what was bought, what is used, and a compliance symbol.

    A product shows the figures of its own mode only (a Per Seat product has no Per Server cells and
    the other way round); In Use is empty unless the service runs.
    """
    tr = Translator(parent).tr
    columns = [
        Column(tr("Product"), lambda r: r.name),
        Column(tr("Mode"), lambda r: r.mode.label),
        Column(
            tr("Per Seat Purchased"),
            _per_seat(lambda r: r.per_seat_purchased),
            numeric=True,
            wrap_header=True,
        ),
        Column(
            tr("Per Seat Allocated"),
            _per_seat(lambda r: r.per_seat_allocated),
            numeric=True,
            wrap_header=True,
        ),
        Column(
            tr("Per Server Purchased"),
            _per_server(lambda r: r.per_server_purchased),
            numeric=True,
            wrap_header=True,
        ),
        Column(
            tr("Per Server Reached"),
            _per_server(lambda r: r.per_server_reached),
            numeric=True,
            tooltip=tr("The most concurrent connections since the last reset: compliance judges this"),
            wrap_header=True,
        ),
        Column(
            tr("In Use"),
            lambda r: r.in_use,
            numeric=True,
            tooltip=tr("Clients connected now (empty while the service is not running)"),
        ),
        Column(tr("Compliance"), lambda r: compliance_label(r.compliance)),
    ]

    def decoration(record: ProductSummary, column: int) -> object:
        if column == 0:
            return compliance_icon(record.compliance)
        return None

    return RecordTableModel(columns, decoration, parent, key=lambda r: r.product_id)


def _per_seat(value: Callable[[ProductSummary], object]) -> Callable[[ProductSummary], object]:
    return lambda r: value(r) if r.mode is LicenseMode.PER_SEAT else None


def _per_server(value: Callable[[ProductSummary], object]) -> Callable[[ProductSummary], object]:
    return lambda r: value(r) if r.mode is LicenseMode.PER_SERVER else None


def compliance_label(state: Compliance) -> str:
    """Translated words for a compliance state."""
    translator = Translator(None)
    return {
        Compliance.COMPLIANT: translator.tr("Compliant"),
        Compliance.AT_LIMIT: translator.tr("At the limit"),
        Compliance.OVER_LIMIT: translator.tr("Over the limit"),
    }[state]
