"""Clients (Per Seat): a row per user across products; Properties, and Delete to free its licenses.
Connected to a master: a row per user across the enterprise, with the servers used (read only)."""

from collections.abc import Callable

from applet.store import Store
from applet.store.paths import DataPaths
from applet.store.records import ClientSummary
from applet.ui import messages
from applet.ui.manager.models.clients import ClientsModel
from applet.ui.manager.models.enterprise import EnterpriseClientsModel
from applet.ui.manager.models.paged import PagedTableModel
from applet.ui.manager.tabs.base import (
    PagedTab,
    TabHost,
    choice_box,
    fill_choices,
    filter_box,
    lay_out_page,
)

# The most leases the service lists in one answer (its MAX_LIST).
LEASES_LIMIT = 10_000


class ClientsTab(PagedTab):
    """The Clients (Per Seat) tab."""

    key = "clients"
    export_name = "clients"
    help_topic = "clients"
    deletes_records = True

    def __init__(self, host: TabHost) -> None:
        super().__init__(host, self.tr("Clients (Per Seat)"))
        self.model = ClientsModel(host.gateway, self)
        self.view = self._table(self.model, self.tr("Clients (Per Seat)"))
        self.filter = filter_box(self.tr("Filter clients by user"), self.tr("User name"))
        self.product_choice = choice_box(self.tr("Show clients of product"), self.tr("All products"))
        lay_out_page(self.page, [self.filter, self.product_choice], self.view, self.tr("Fi&lter:"))
        self.product_choice.currentIndexChanged.connect(self.apply_filter)
        self._debounce(self.filter)
        self._connect_model()

    def make_enterprise_model(self) -> PagedTableModel:
        model = EnterpriseClientsModel(self.host.gateway, self)
        self._wire(model)
        return model

    def use_master(self, connected: bool) -> None:
        # The enterprise's users are filtered by name only (one row per user across every server).
        self.product_choice.setVisible(not connected)
        super().use_master(connected)

    def load_choices(self) -> None:
        def done(products: list[str]) -> None:
            fill_choices(self.product_choice, products)

        self.host.gateway.submit(lambda store: [p.name for p in store.products.list()], done)

    def apply_filter(self) -> None:
        self._set_filter(
            text_filter=self.filter.text().strip(), product_filter=self.product_choice.currentData()
        )

    def selected_product(self) -> str | None:
        return None

    def can_show_properties(self) -> bool:
        return isinstance(self.selected_record(), ClientSummary)

    def show_properties(self) -> None:
        from applet.ui.manager.dialogs.client_properties import ClientPropertiesDialog

        record = self.selected_record()
        if isinstance(record, ClientSummary):
            dialog = ClientPropertiesDialog(
                self.host.gateway,
                record.user,
                self.delete_client,
                self.view.window(),
                may_change=self.host.access.may_change,
            )
            dialog.changed.connect(self.host.refresh)
            self.host.open_dialog(dialog)

    def can_delete(self) -> bool:
        return isinstance(self.selected_record(), ClientSummary)

    def delete_selected(self) -> None:
        record = self.selected_record()
        if isinstance(record, ClientSummary):
            self.delete_client(record.user)

    def delete_client(self, user: str, after: Callable[[], None] | None = None) -> None:
        """Delete a Per Seat client, freeing its licenses.

        Asks for confirmation; when the service runs, it is asked first whether the user holds a
        license right now, and a client in use is not deleted.
        """
        if not messages.question(
            self.view.window(),
            self.tr("Delete Client"),
            self.tr("Delete client %1 and free its licenses?").replace("%1", user),
            self.tr("Its usage history is removed; its licenses go to clients waiting for one."),
        ):
            return
        self._delete_client(user, after, ask_service=True)

    def _delete_client(self, user: str, after: Callable[[], None] | None, ask_service: bool) -> None:
        title = self.tr("Delete Client")
        administrator = self.host.administrator
        window = self.view.window()

        def job(store: Store) -> tuple[str, object]:
            if ask_service:
                holding = products_in_use(store.paths, user)
                if holding is None:
                    return ("unknown", None)
                if holding:
                    return ("in-use", holding)
            return ("deleted", store.clients.delete(user, administrator))

        def done(result: tuple[str, object]) -> None:
            outcome, detail = result
            if outcome == "unknown":
                if messages.question(
                    window,
                    title,
                    self.tr("The running service could not say whether %1 is using a product now.").replace(
                        "%1", user
                    ),
                    self.tr("Delete the client anyway?"),
                ):
                    self._delete_client(user, after, ask_service=False)
                return
            if outcome == "in-use":
                messages.warning(
                    window,
                    title,
                    self.tr("Client %1 is using %2 right now and was not deleted.")
                    .replace("%1", user)
                    .replace("%2", ", ".join(detail)),  # type: ignore[arg-type]
                    self.tr("Delete it when it has disconnected."),
                )
                return
            self.host.show_status_message(self.tr("Client %1 deleted.").replace("%1", user))
            self.host.refresh()
            if after is not None:
                after()

        def failed(error: Exception) -> None:
            messages.critical(window, title, " ".join(str(error).split()))

        self.host.gateway.submit(job, done, failed)


def products_in_use(paths: DataPaths, user: str) -> list[str] | None:
    """The products ``user`` holds a license for right now, asked of the running service.

    Empty when the service is not running (nothing can be in use then); None when it runs but cannot
    tell (its admin token is not readable by this user, or it does not answer). Runs on a worker
    thread (network).
    """
    from applet.client.api import ServiceClient, ServiceError
    from applet.store.endpoint import find_service

    endpoint = find_service(paths)
    if endpoint is None:
        return []
    try:
        with ServiceClient(endpoint, admin=True, timeout=3.0) as client:
            leases = client.call("GET", f"/v1/leases?limit={LEASES_LIMIT}")
    except ServiceError:
        return None
    if not isinstance(leases, list):
        return None
    wanted = user.casefold()
    return sorted(
        {
            str(lease.get("product"))
            for lease in leases
            if isinstance(lease, dict) and str(lease.get("user", "")).casefold() == wanted
        }
    )
