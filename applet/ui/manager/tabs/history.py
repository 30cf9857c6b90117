"""Purchase History: every add and remove of licenses, newest first, filtered by text (connected to a
master: every server's, with a Server column)."""

from applet.ui.manager.models.enterprise import EnterpriseHistoryModel
from applet.ui.manager.models.history import PurchaseHistoryModel
from applet.ui.manager.models.paged import PagedTableModel
from applet.ui.manager.tabs.base import PagedTab, TabHost, filter_box, lay_out_page


class HistoryTab(PagedTab):
    """The Purchase History tab."""

    key = "history"
    export_name = "purchase-history"
    help_topic = "purchase-history"

    def __init__(self, host: TabHost) -> None:
        super().__init__(host, self.tr("Purchase History"))
        self.model = PurchaseHistoryModel(host.gateway, self)
        self.view = self._table(self.model, self.tr("Purchase History"))
        self.filter = filter_box(
            self.tr("Filter purchase history"), self.tr("Product, administrator or comment")
        )
        lay_out_page(self.page, [self.filter], self.view, self.tr("&Filter:"))
        self._debounce(self.filter)
        self._connect_model()

    def make_enterprise_model(self) -> PagedTableModel:
        model = EnterpriseHistoryModel(self.host.gateway, self)
        self._wire(model)
        return model

    def apply_filter(self) -> None:
        self._set_filter(text_filter=self.filter.text().strip(), product_filter=None)
