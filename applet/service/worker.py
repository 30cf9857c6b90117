"""The store workers: the threads that talk to SQLite on the service's behalf.

SQLite calls block, and a commit with ``synchronous = FULL`` waits for the disk; doing them on the
event loop would stall license requests. So the service hands store operations to two threads, each
with its own :class:`Store` connection (connections are not shared across threads):

* the *writer* (:meth:`StoreWorker.call`) writes the broker's batches in order, applies
  administrative changes and reads the configuration;
* the *reader* (:meth:`StoreWorker.read`) answers the API's listings (clients, events, history...).
  With WAL a reader never blocks the writer, so a flood of large reads cannot delay the once-a-second
  writes (a ``kill -9`` then still loses at most about a second of usage). On Linux the reader runs
  at a lower CPU priority (niceness +10): a flood of large reads takes what the event loop and the
  writer leave, so license requests answer in time however many listings are asked for.

A batch the store refuses (disk full, a damaged page, a long lock) is kept and retried with back-off
(1 s doubling to 8 s), merged with the later ones; failures are counted and the time since when usage
is not saved is reported in ``status``. Nothing raised inside a write escapes.
"""

import asyncio
import concurrent.futures
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from applet.domain.products import LicenseMode
from applet.service.broker import Batch, ConfigSnapshot
from applet.service.logs import service_logger
from applet.service.sinks import SinkFanout
from applet.store import Store
from applet.store.database import utc_now
from applet.store.paths import DataPaths

log = service_logger(__name__)

T = TypeVar("T")

RETRY_FIRST = 1.0
RETRY_MAX = 8.0
READER_NICENESS = 10  # added to the service's own: listings yield the CPU to license requests


def lower_reader_priority() -> None:
    """On Linux, make the calling thread (the reader) yield the CPU to the service's other threads.

    Linux gives each thread its own niceness (``setpriority`` on the thread id); elsewhere that call
    would change the whole process, so nothing is done there.
    """
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        niceness = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness + READER_NICENESS))
    except OSError as error:  # a sandbox may refuse it: reads then run at the normal priority
        log.warning("cannot lower the reader thread's priority: %s", error)


class StoreWorker:
    """Runs store operations on one dedicated thread; see the module docstring."""

    def __init__(self, paths: DataPaths, sinks: SinkFanout) -> None:
        self.paths = paths
        self.sinks = sinks
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lls-store")
        self._reader = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="lls-read", initializer=lower_reader_priority
        )
        self._store: Store | None = None
        self._read_store: Store | None = None
        self._carry = Batch()
        self.failed_writes = 0
        self.unsaved_since: str | None = None  # when the oldest batch not yet saved failed
        self._retry_delay = 0.0
        self._next_retry = 0.0

    @property
    def store(self) -> Store:
        """The worker thread's store (call only from that thread)."""
        if self._store is None:
            self._store = Store(self.paths)
        return self._store

    async def call(self, function: Callable[[Store], T]) -> T:
        """Run ``function(store)`` on the worker thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(self.store))

    async def read(self, function: Callable[[Store], T]) -> T:
        """Run ``function(store)`` on the reader thread (its own connection; never delays writes)."""

        def run() -> T:
            if self._read_store is None:
                self._read_store = Store(self.paths)
            return function(self._read_store)

        return await asyncio.get_running_loop().run_in_executor(self._reader, run)

    def call_blocking(self, function: Callable[[Store], T]) -> T:
        """Same as :meth:`call`, from synchronous code (start-up and shutdown)."""
        return self._executor.submit(lambda: function(self.store)).result()

    # The functions below run on the worker thread (pass them to ``call``).

    def write(self, store: Store, batch: Batch, force: bool = False) -> int:
        """Persist a batch, then deliver its events to the sinks. Returns the events stored.

        When the store refuses, the batch is kept and retried with the next ones after a back-off
        (``force`` retries now: shutdown), so nothing is lost while the service keeps running.
        """
        batch = self._carry.merge(batch) if self._carry else batch
        self._carry = Batch()
        if not batch:
            return 0
        if not force and time.monotonic() < self._next_retry:
            self._carry = batch
            return 0
        try:
            with store.db.transaction():  # one commit: the batch is saved whole or not at all
                if batch.seat_usage:
                    store.clients.record_usage(batch.seat_usage)
                if batch.samples:
                    store.usage.record_samples(batch.samples)
                if batch.peaks:
                    store.products.record_peaks(batch.peaks, batch.usage_generation)
                records = store.events.append(batch.events) if batch.events else []
        except Exception as error:  # any failure keeps the batch: usage is never dropped
            self.failed_writes += 1
            self._carry = batch
            if self.unsaved_since is None:
                self.unsaved_since = utc_now()
            self._retry_delay = min(RETRY_MAX, self._retry_delay * 2 or RETRY_FIRST)
            self._next_retry = time.monotonic() + self._retry_delay
            log.warning(
                "usage not saved since %s (%s failed writes), retrying in %.0f s: %s",
                self.unsaved_since,
                self.failed_writes,
                self._retry_delay,
                error,
            )
            return 0
        self.unsaved_since = None
        self._retry_delay = 0.0
        self._next_retry = 0.0
        self.sinks.deliver(records)
        return len(records)

    @staticmethod
    def read_head(store: Store) -> ConfigSnapshot:
        """The configuration without Per Seat users (the broker says whose it needs: seats_to_load)."""
        return ConfigSnapshot(
            revision=store.config_revision(),
            products=store.products.list(),
            groups=store.groups.list(),
            seat_counts=store.clients.seat_counts(),
            seats={},
            usage_generation=store.products.usage_generation(),
        )

    @staticmethod
    def snapshot(store: Store) -> ConfigSnapshot:
        """The whole configuration, with the Per Seat users of every Per Seat product (start-up)."""
        head = StoreWorker.read_head(store)
        per_seat = [p.product_id for p in head.products if p.mode is LicenseMode.PER_SEAT]
        return replace(head, seats=store.clients.seat_users(per_seat))

    def close(self) -> None:
        """Close the store (on the worker thread) and stop the thread."""

        def close_store() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None
            self.sinks.close()

        def close_reader() -> None:
            if self._read_store is not None:
                self._read_store.close()
                self._read_store = None

        try:
            self._reader.submit(close_reader).result()
            self._executor.submit(close_store).result()
        finally:
            self._reader.shutdown(wait=True)
            self._executor.shutdown(wait=True)
