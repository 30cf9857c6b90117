"""Purchase History's model: every add and remove of licenses, paged from the store."""

from PySide6.QtCore import QObject

from applet.store import Store
from applet.store.records import PurchaseRecord
from applet.ui.gateway import StoreGateway
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.paged import CountQuery, PagedTableModel, PageQuery
from applet.ui.manager.symbols import local_time


class PurchaseHistoryModel(PagedTableModel):
    """Purchase History: every add and remove of licenses, newest first."""

    def __init__(self, gateway: StoreGateway, parent: QObject | None = None) -> None:
        super().__init__(gateway, parent)
        self.columns = [
            Column(self.tr("Date"), lambda r: local_time(r.created), "date"),
            Column(self.tr("Product"), lambda r: r.product, "product"),
            Column(
                self.tr("Quantity"),
                lambda r: r.quantity,
                "quantity",
                numeric=True,
                tooltip=self.tr("Negative for removed licenses"),
            ),
            Column(self.tr("Mode"), lambda r: r.mode.label, "mode"),
            Column(self.tr("Administrator"), lambda r: r.administrator, "administrator"),
            Column(self.tr("Comment"), lambda r: r.comment, "comment"),
        ]
        self.text_filter = ""
        self.product_filter: str | None = None

    def default_sort(self) -> tuple[int, bool]:
        return (0, True)

    def page_query(self, sort_key: str, descending: bool) -> PageQuery:
        text, product = self.text_filter, self.product_filter

        def page(store: Store, offset: int, limit: int) -> list[PurchaseRecord]:
            return store.ledger.history_page(sort_key, descending, text, product, offset, limit)  # type: ignore[arg-type]

        return page

    def count_query(self) -> CountQuery:
        text, product = self.text_filter, self.product_filter
        return lambda store: store.ledger.history_count(text, product)
