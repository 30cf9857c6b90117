"""Events: the service's events, newest first, filtered by type and product."""

from applet.ui.manager.models.events import EventsModel
from applet.ui.manager.tabs.base import PagedTab, TabHost, choice_box, fill_choices, lay_out_page


class EventsTab(PagedTab):
    """The Events tab."""

    key = "events"
    export_name = "events"
    help_topic = "events"

    def __init__(self, host: TabHost) -> None:
        super().__init__(host, self.tr("Events"))
        self.model = EventsModel(host.gateway, self)
        self.view = self._table(self.model, self.tr("Events"))
        self.type_choice = choice_box(self.tr("Show events of type"), self.tr("All types"))
        self.type_choice.addItem(self.tr("Errors"), "error")
        self.type_choice.addItem(self.tr("Warnings"), "warning")
        self.type_choice.addItem(self.tr("Information"), "information")
        self.product_choice = choice_box(self.tr("Show events of product"), self.tr("All products"))
        lay_out_page(self.page, [self.type_choice, self.product_choice], self.view, self.tr("Sho&w:"))
        self.type_choice.currentIndexChanged.connect(self.apply_filter)
        self.product_choice.currentIndexChanged.connect(self.apply_filter)
        self._connect_model()

    def load_choices(self) -> None:
        def done(products: tuple[str, ...]) -> None:
            fill_choices(self.product_choice, list(products))

        self.host.gateway.submit(lambda store: store.events.products(), done)

    def apply_filter(self) -> None:
        self._set_filter(
            type_filter=self.type_choice.currentData(), product_filter=self.product_choice.currentData()
        )
