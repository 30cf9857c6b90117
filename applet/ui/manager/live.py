"""License Manager's live refresh: notice the service's writes (and its start and stop) within a second.

:class:`LivePoller` asks the gateway's light lane every second for a cheap :class:`StoreSnapshot` (the
file's ``data_version``, the configuration revision, the newest event id, whether the service runs and
how many clients it has per product) and emits ``changed`` when it differs.
"""

from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from applet.store import Store
from applet.store.endpoint import ServiceEndpoint, find_service
from applet.store.paths import DataPaths
from applet.ui.gateway import StoreGateway


@dataclass(frozen=True)
class StoreSnapshot:
    """What the poller compares: any difference means the store changed."""

    data_version: int
    config_revision: int
    latest_event: int
    total_changes: int
    service: ServiceEndpoint | None
    # Clients connected now per product, from the running service (changes without a store write).
    connected: tuple[tuple[str, int], ...] | None = None

    def differs_in_data(self, other: "StoreSnapshot | None") -> bool:
        """True when the store's content may have changed since ``other``."""
        if other is None:
            return True
        return (
            self.data_version,
            self.config_revision,
            self.latest_event,
            self.total_changes,
            self.connected,
        ) != (
            other.data_version,
            other.config_revision,
            other.latest_event,
            other.total_changes,
            other.connected,
        )


def take_snapshot(store: Store) -> StoreSnapshot:
    """Read the cheap change markers (runs on the light lane)."""
    service = find_service(store.paths)
    connected = connected_now(store.paths, service) if service is not None else None
    return StoreSnapshot(
        data_version=store.db.data_version(),
        config_revision=store.config_revision(),
        latest_event=store.events.latest_id(),
        # data_version ignores this connection's own commits (the window's writes): count those too.
        total_changes=store.db.connection.total_changes,
        service=service,
        connected=tuple(sorted(connected.items())) if connected is not None else None,
    )


class LivePoller(QObject):
    """Polls the store every ``interval_ms`` off the UI thread.

    Signals:
        changed(): the store's content changed (the service or another program wrote to it).
        service_changed(object): the service started or stopped (a ServiceEndpoint or None).
        fault(str): the store cannot be read (the window keeps what it shows); ``""`` when it recovers.
    """

    changed = Signal()
    service_changed = Signal(object)
    fault = Signal(str)

    def __init__(self, gateway: StoreGateway, interval_ms: int = 1000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)
        self._last: StoreSnapshot | None = None
        self._in_flight = False
        self._fault = ""
        self._service_known = False

    def start(self) -> None:
        """Poll now and then every interval."""
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        """Stop polling."""
        self._timer.stop()

    @Slot()
    def poll(self) -> None:
        """Ask for a snapshot unless one is still on its way (a slow disk never piles up polls)."""
        if self._in_flight:
            return
        self._in_flight = True
        self._gateway.submit(take_snapshot, self._arrived, self._failed)

    def _arrived(self, snapshot: StoreSnapshot) -> None:
        self._in_flight = False
        if self._fault:
            self._fault = ""
            self.fault.emit("")
        previous = self._last
        self._last = snapshot
        old_service = previous.service if previous is not None else None
        if not self._service_known or _service_key(old_service) != _service_key(snapshot.service):
            self._service_known = True
            self.service_changed.emit(snapshot.service)
        if previous is not None and snapshot.differs_in_data(previous):
            self.changed.emit()

    def _failed(self, error: Exception) -> None:
        self._in_flight = False
        message = " ".join(str(error).split())
        if message != self._fault:
            self._fault = message
            self.fault.emit(message)


def _service_key(endpoint: ServiceEndpoint | None) -> tuple[int, int] | None:
    return None if endpoint is None else (endpoint.pid, endpoint.port)


def connected_now(paths: DataPaths, endpoint: ServiceEndpoint | None = None) -> dict[str, int] | None:
    """Clients connected now per product (case-folded name), asked of the running service.

    None when the service is not running or does not answer. Runs on a worker thread (network).
    """
    from applet.client.api import ServiceClient, ServiceError

    endpoint = endpoint or find_service(paths)
    if endpoint is None:
        return None
    try:
        with ServiceClient(endpoint, timeout=2.0) as client:
            states = client.products()
    except ServiceError:
        return None
    return {
        str(state.get("product", "")).casefold(): int(state.get("in_use", 0))
        for state in states
        if isinstance(state, dict)
    }
