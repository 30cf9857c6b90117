"""The Events tab's model: the service's events, newest first, paged from the store."""

from PySide6.QtCore import QObject, Qt

from applet.domain.compliance import Compliance
from applet.store import Store
from applet.store.records import EventRecord
from applet.ui.gateway import StoreGateway
from applet.ui.manager.models.columns import Column, Index
from applet.ui.manager.models.paged import CountQuery, PagedTableModel, PageQuery
from applet.ui.manager.symbols import compliance_icon, local_time


class EventsModel(PagedTableModel):
    """Events, newest first, filtered by type and product; every column sorts in the store."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("ID"), lambda r: r.event_id, "event", numeric=True),
            Column(self.tr("Type"), lambda r: self.type_label(r.type), "type"),
            Column(self.tr("Time"), lambda r: local_time(r.time), "time"),
            Column(self.tr("Product"), lambda r: r.product or "", "product"),
            Column(self.tr("Message"), lambda r: r.message, "message"),
        ]
        self.type_filter: str | None = None
        self.product_filter: str | None = None

    def type_label(self, event_type: str) -> str:
        """Words for an event type."""
        return {
            "error": self.tr("Error"),
            "warning": self.tr("Warning"),
            "information": self.tr("Information"),
        }.get(event_type, event_type)

    def default_sort(self) -> tuple[int, bool]:
        return (2, True)  # newest first

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        valid = index.isValid() and 0 <= index.row() < len(self._rows)
        if role == Qt.ItemDataRole.DecorationRole and valid and index.column() == 1:
            kind = self._rows[index.row()].type
            state = {"error": Compliance.OVER_LIMIT, "warning": Compliance.AT_LIMIT}.get(kind)
            return compliance_icon(state) if state else None
        return super().data(index, role)

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        event_type, product = self.type_filter, self.product_filter

        def page(store: Store, offset: int, limit: int) -> list[EventRecord]:
            return store.events.page(sort_key, descending, product, event_type, offset, limit)  # type: ignore[arg-type]

        return page

    def count_query(self) -> CountQuery:
        event_type, product = self.type_filter, self.product_filter
        return lambda store: store.events.count(product, event_type)
