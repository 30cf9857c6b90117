"""The gateway of Choose Licensing Mode hosted over another server's API (Server Browser, connected to
a master: double-click a product of a server).

Its jobs are the dialog's own (``job(store)``), run on one worker thread of their own with a
:class:`~applet.client.server_store.ServerStore` instead of the local store, so the dialog, Add
Licenses, Remove Licenses and the agreements run unchanged (:class:`~applet.ui.gateway.JobGateway`).
A request to a server that stopped answering waits its timeout on that thread, never on the UI thread,
and never in the local store's lanes. Outcomes come back on the UI thread as the store gateway's do.
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from applet.client.server_store import ServerStore
from applet.ui.gateway import Delivery, Done, Failed

log = logging.getLogger(__name__)


class ServerGateway:
    """Runs Choose Licensing Mode's jobs against ``store`` (one server, one product), in order.

    Not a QObject: it is owned by the dialog's Python side, and its delivery object lives as long as a
    job can still answer.
    """

    def __init__(self, store: ServerStore) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="server-admin")
        self._delivery = Delivery()
        self._closed = False

    @property
    def name(self) -> str:
        """The server's address."""
        return self.store.name

    def submit(
        self,
        job: Callable[[Any], Any],
        done: Done | None = None,
        failed: Failed | None = None,
        lane: str = "light",
    ) -> None:
        """Run ``job(store)``; then ``done(result)`` or ``failed(error)`` on the UI thread (``lane`` is
        the store gateway's word: one server, one lane)."""
        if self._closed:
            return
        store = self.store

        def work() -> None:
            try:
                result = job(store)
            except Exception as error:  # delivered to the UI thread, which decides what to say
                caught = error
                self._deliver(lambda: self._refuse(caught, failed))
                return
            self._deliver(lambda: done(result) if done is not None else None)

        self._executor.submit(work)

    def _deliver(self, call: Callable[[], None]) -> None:
        if not self._closed:
            self._delivery.delivered.emit(call)

    def _refuse(self, error: Exception, failed: Failed | None) -> None:
        if failed is not None:
            failed(error)
        else:
            log.warning("a request to %s failed: %s", self.name, " ".join(str(error).split()))

    def close(self) -> None:
        """Drop answers still on their way and close the connection once the last request ends (not
        waiting: a server that stopped answering must not hold the window)."""
        self._closed = True
        self._executor.submit(self.store.close)
        self._executor.shutdown(wait=False)
