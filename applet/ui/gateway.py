"""Every store access of the GUIs (the Licensing applet and License Manager) runs here, off the UI thread.

:class:`StoreGateway` runs jobs (``job(store) -> result``) on worker threads, each with its own
:class:`~applet.store.Store` (a store is not thread-safe), and hands the result or the error back to the
UI thread through a queued signal. Two lanes keep a slow query from delaying a fast one:

* ``light``: polling, small reads and all writes, in submission order (a refresh submitted after a write
  sees it);
* ``heavy``: pages of the big tables (a million Per Seat clients), exports, charts.

SQLite releases the GIL while it works, so the UI thread keeps painting while a query runs.

A third lane, ``master``, exists while License Manager is connected to a master server
(:meth:`StoreGateway.connect_master`): its jobs get the :class:`~applet.client.master.MasterClient`
instead of a store (``submit_master``), on a thread of their own, so a master that answers slowly or
not at all never delays the local store's lanes nor the UI. Results of a master's jobs that arrive
after License Manager switched to another master (or back to the local store) are dropped.
"""

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal, Slot

from applet.domain.errors import LicensingError
from applet.store.database import StoreError, configured_busy_timeout
from applet.store.paths import DataPaths

if TYPE_CHECKING:
    # The applet never talks to a master: no HTTP client on its import path; the store's modules load
    # on the worker thread that opens the store (_Lane.store), not on the UI thread.
    from applet.client.master import MasterClient
    from applet.store.store import Store

Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class JobGateway(Protocol):
    """What a :class:`~applet.ui.gateway_dialog.GatewayDialog` needs of its gateway: run ``job(store)``
    off the UI thread, then ``done(result)`` or ``failed(error)`` on it. :class:`StoreGateway` runs jobs
    on the local store; License Manager's ``ServerGateway`` on another server's
    (:mod:`applet.ui.manager.server_gateway`), with the operations of
    :class:`~applet.store.licensing_port.LicensingStore`."""

    def submit(
        self,
        job: Callable[[Any], Any],
        done: Done | None = None,
        failed: Failed | None = None,
        lane: str = "light",
    ) -> None:
        """Run ``job`` off the UI thread; its outcome comes back on the UI thread."""
        ...


class StoreMissing(StoreError):
    """The store file was deleted or replaced while the window was open."""


class Delivery(QObject):
    """Lives in the UI thread; worker threads emit into it, so callbacks run on the UI thread."""

    delivered = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.delivered.connect(self._run)

    @Slot(object)
    def _run(self, call: object) -> None:
        assert callable(call)
        call()


class _Lane:
    """One worker thread with its own store connection.

    ``create``: the lane's first connection may create (and migrate) a store that does not exist yet
    (the Licensing applet on a new machine); a store that vanishes after that is still refused.
    """

    def __init__(self, name: str, paths: DataPaths, busy_timeout: float, create: bool) -> None:
        self._paths = paths
        self._busy_timeout = busy_timeout
        self._create = create
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"store-{name}")
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None

    def store(self) -> "Store":
        """This thread's store, opened on first use; refuses a file that vanished or was replaced."""
        current = _file_identity(self._paths)
        if current is None and not (self._create and self._identity is None):
            self.forget()
            raise StoreMissing(
                f"the store {self._paths.database} no longer exists; the window keeps the data it last read"
            )
        store: Store | None = getattr(self._local, "store", None)
        if store is not None and self._identity != current:
            self.forget()
            store = None
        if store is None:
            # Imported here, on the worker: the store's modules load while the UI thread builds the
            # window, not before it.
            from applet.store import store as store_module

            store = store_module.Store(self._paths, self._busy_timeout)
            self._local.store = store
            self._identity = current or _file_identity(self._paths)
            with self._lock:
                self._stores.append(store)
        return store

    def forget(self) -> None:
        """Close this thread's store (the file changed under it); the next job reopens."""
        store: Store | None = getattr(self._local, "store", None)
        if store is not None:
            self._local.store = None
            with self._lock:
                if store in self._stores:
                    self._stores.remove(store)
            store.close()

    def submit(self, work: Callable[[], None]) -> Future[None]:
        return self._executor.submit(work)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()


def _is_master_error(error: Exception) -> bool:
    """A master's failure (it does not answer, refuses...)."""
    from applet.client.api import ServiceError  # loaded already when there was a master to fail

    return isinstance(error, ServiceError)


def _ignore(_error: Exception) -> None:
    """The failure of a job whose master License Manager has left: nobody needs it any more."""


def _file_identity(paths: DataPaths) -> tuple[int, int] | None:
    try:
        status = os.stat(paths.database)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


class StoreGateway(QObject):
    """Runs store jobs on worker threads and calls back on the UI thread.

    Args:
        paths: the store's files.
        parent: the owner (the window), or None.
        busy_timeout: seconds a write waits for another program's lock before it fails (on the worker
            thread: the UI keeps painting meanwhile); by default ``$LLS_BUSY_TIMEOUT``, as every other
            user of the store waits.
        create: the first job may create the store (the applet on a new machine); License Manager
            creates it before its window instead.

    Signals:
        failed(str): a job failed with an environment fault (locked, missing, corrupt store); the
            window shows it in the status bar. Jobs with their own ``failed`` callback get it there.
    """

    failed = Signal(str)

    def __init__(
        self,
        paths: DataPaths,
        parent: QObject | None = None,
        busy_timeout: float | None = None,
        create: bool = False,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        if busy_timeout is None:
            busy_timeout = configured_busy_timeout()
        self._delivery = Delivery()
        self._lanes = {name: _Lane(name, paths, busy_timeout, create) for name in ("light", "heavy")}
        self._closed = False
        self._pending = 0
        self._master: MasterClient | None = None
        # Per lane ("light", "heavy"): its thread and its own connection to the master.
        self._master_lanes: dict[str, tuple[ThreadPoolExecutor, MasterClient]] = {}
        self._master_generation = 0

    @property
    def busy(self) -> bool:
        """True while any job has not been delivered yet."""
        return self._pending > 0

    def submit(
        self,
        job: "Callable[[Store], Any]",
        done: Done | None = None,
        failed: Failed | None = None,
        lane: str = "light",
    ) -> None:
        """Run ``job(store)`` on ``lane``; then ``done(result)`` or ``failed(error)`` on the UI thread.

        Rule violations (``LicensingError``) and store faults go to ``failed``; without one, faults are
        reported through the :attr:`failed` signal. Other exceptions are bugs and propagate.
        """
        if self._closed:
            return
        worker = self._lanes[lane]
        self._pending += 1

        def work() -> None:
            try:
                result = job(worker.store())
            except Exception as error:  # delivered to the UI thread, which decides what to say
                caught = error
                self._deliver(lambda: self._finish_error(caught, failed))
                return
            self._deliver(lambda: self._finish(result, done))

        worker.submit(work)

    @property
    def master(self) -> "MasterClient | None":
        """The master License Manager reads the enterprise from, or None (the local store)."""
        return self._master

    def connect_master(self, client: "MasterClient | None") -> None:
        """Read the enterprise from ``client``'s master from now on (None: only the local store).

        Two lanes, each with its own thread and connection: ``light`` (the ping, the servers, the
        first pages) and ``heavy`` (counting a filter's rows: a million users take the master seconds,
        which must not hold up the rest). The previous master's lanes are let go without waiting (a
        request to a master that stopped answering can take its whole timeout); their clients are
        closed on them when their last jobs end.
        """
        old_lanes = self._master_lanes
        self._master_generation += 1
        self._master = client
        self._master_lanes = {}
        if client is not None:
            for name, lane_client in (("light", client), ("heavy", client.copy())):
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"master-{name}")
                self._master_lanes[name] = (executor, lane_client)
        for executor, lane_client in old_lanes.values():
            # Its jobs still queued run to their end (their results are dropped), then the close.
            executor.submit(lane_client.close)
            executor.shutdown(wait=False)

    def probe_master(
        self, client: "MasterClient", done: Callable[[dict[str, Any]], None], failed: Failed
    ) -> None:
        """Ask a master License Manager is not connected to yet whether it answers (its summary)."""
        self.run_remote(client.summary, done, failed)

    def run_remote(self, job: Callable[[], Any], done: Done, failed: Failed) -> None:
        """Run ``job()`` (a request to another computer) on a short-lived thread of its own; then
        ``done`` or ``failed`` on the UI thread. The master's lane and the store's stay free."""
        if self._closed:
            return
        self._pending += 1

        def work() -> None:
            try:
                result = job()
            except Exception as error:  # delivered to the UI thread, which decides what to say
                caught = error
                self._deliver(lambda: self._finish_error(caught, failed))
                return
            self._deliver(lambda: self._finish(result, done))

        threading.Thread(target=work, name="remote-request", daemon=True).start()

    def submit_master(
        self,
        job: Callable[["MasterClient"], Any],
        done: Done | None = None,
        failed: Failed | None = None,
        lane: str = "light",
    ) -> None:
        """Run ``job(master_client)`` on a master's lane; then ``done`` or ``failed`` on the UI thread.

        Without a master, or after a switch to another one, nothing is run or delivered.
        """
        generation = self._master_generation
        if self._closed or lane not in self._master_lanes:
            return
        executor, client = self._master_lanes[lane]
        self._pending += 1

        def current() -> bool:
            return generation == self._master_generation

        def work() -> None:
            try:
                result = job(client)
            except Exception as error:  # delivered to the UI thread, which decides what to say
                caught = error
                self._deliver(lambda: self._finish_error(caught, failed if current() else _ignore))
                return
            self._deliver(lambda: self._finish(result, done if current() else None))

        executor.submit(work)

    def _deliver(self, call: Callable[[], None]) -> None:
        if not self._closed:
            self._delivery.delivered.emit(call)

    def _finish(self, result: Any, done: Done | None) -> None:
        self._pending -= 1
        if done is not None and not self._closed:
            done(result)

    def _finish_error(self, error: Exception, failed: Failed | None) -> None:
        self._pending -= 1
        if self._closed:
            return
        if failed is not None:
            failed(error)
        elif isinstance(error, (StoreError, LicensingError)) or _is_master_error(error):
            self.failed.emit(" ".join(str(error).split()))
        else:
            raise error

    def close(self) -> None:
        """Stop the workers (waits for a running query) and close their stores."""
        self._closed = True
        self.connect_master(None)
        for lane in self._lanes.values():
            lane.shutdown()
