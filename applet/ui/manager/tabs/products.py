"""Products View: per product what was bought, what is used, and a compliance symbol; filtered by name."""

from dataclasses import replace

from applet.store import Store
from applet.store.records import ProductSummary
from applet.store.reports import products_rows
from applet.ui.manager.live import connected_now
from applet.ui.manager.models.products import products_view_model
from applet.ui.manager.reports import manager_words
from applet.ui.manager.tabs.base import (
    ExportJob,
    ManagerTab,
    TabHost,
    filter_box,
    lay_out_page,
)


class ProductsTab(ManagerTab):
    """The Products View tab (its rows are few: held in memory, sorted and filtered in Python)."""

    key = "products"
    export_name = "products"
    help_topic = "products-view"

    def __init__(self, host: TabHost) -> None:
        super().__init__(host, self.tr("Products View"))
        self.model = products_view_model(self)
        self.view = self._table(self.model, self.tr("Products View"))
        self.view.setIconSize(self.view.iconSize())
        self.filter = filter_box(self.tr("Filter products"), self.tr("Product name"))
        lay_out_page(self.page, [self.filter], self.view, self.tr("F&ilter:"))
        self._needle = ""
        self.filter.textChanged.connect(self.apply_filter)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())

    def reload(self, live: bool = False) -> None:
        def job(store: Store) -> list[ProductSummary]:
            # Compliance is the store's (the peak since the last reset); In Use is the service's.
            summaries = store.usage.summaries()
            connected = connected_now(store.paths)
            if connected is None:
                return summaries
            return [replace(s, in_use=connected.get(s.name.casefold(), 0)) for s in summaries]

        def done(summaries: list[ProductSummary]) -> None:
            self.model.set_records(summaries)
            self.data_loaded()

        self.host.gateway.submit(job, done)

    def apply_filter(self) -> None:
        needle = self.filter.text().strip().casefold()
        if needle == self._needle:
            return
        self._needle = needle
        self.model.set_filter((lambda r: needle in r.name.casefold()) if needle else None)
        self.status_changed.emit()

    def status_text(self) -> str:
        over = sum(1 for r in self.model.all_records() if r.compliance.value == "over-limit")
        return (
            self.tr("%1 products, %2 over the limit")
            .replace("%1", f"{self.model.rowCount():,}")
            .replace("%2", f"{over:,}")
        )

    def export_job(self) -> ExportJob:
        # The shared Products View rows (as `lls export products`), with In Use from the service.
        headers, rows = products_rows(self.model.records(), manager_words())
        return lambda _store: (headers, rows)

    def selected_product(self) -> str | None:
        record = self.selected_record()
        return record.name if isinstance(record, ProductSummary) else None
