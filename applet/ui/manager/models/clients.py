"""Clients (Per Seat)'s model: one row per user across products, paged from the store."""

from PySide6.QtCore import QObject

from applet.store import Store
from applet.store.records import ClientSummary
from applet.ui.gateway import StoreGateway
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.paged import CountQuery, PagedTableModel, PageQuery
from applet.ui.manager.symbols import local_time


class ClientsModel(PagedTableModel):
    """Clients (Per Seat): one row per user across products."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("User"), lambda r: r.user, "user"),
            Column(self.tr("Licensed Usage"), lambda r: r.licensed_usage, "licensed", numeric=True),
            Column(self.tr("Unlicensed Usage"), lambda r: r.unlicensed_usage, "unlicensed", numeric=True),
            Column(self.tr("Products"), lambda r: r.products, "products"),
            Column(self.tr("Last Used"), lambda r: local_time(r.last_used), "last_used"),
        ]
        self.text_filter = ""
        self.product_filter: str | None = None

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        text, product = self.text_filter, self.product_filter

        def page(store: Store, offset: int, limit: int) -> list[ClientSummary]:
            return store.clients.summary_page(sort_key, descending, text, product, offset, limit)  # type: ignore[arg-type]

        return page

    def count_query(self) -> CountQuery:
        text, product = self.text_filter, self.product_filter
        return lambda store: store.clients.summary_count(text, product)

    def page_size(self) -> int:
        # Sorting by an aggregate costs one pass over every row whatever the page size: take bigger
        # pages then, so scrolling asks less often.
        return self.PAGE_SIZE if self.sort_state[0] == 0 else 5 * self.PAGE_SIZE
