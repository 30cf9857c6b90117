"""The store worker: the one thread that talks to SQLite on the service's behalf.

SQLite calls block, and a commit with ``synchronous = FULL`` waits for the disk; doing them on the
event loop would stall license requests. So the service hands every store operation to this single
thread, which owns its own :class:`Store` connection (connections are not shared across threads).
Being the only writer of usage data, it also writes the broker's batches in order.
"""

import asyncio
import concurrent.futures
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from applet.domain.products import LicenseMode
from applet.service.broker import Batch, ConfigSnapshot
from applet.service.sinks import SinkFanout
from applet.store import Store, StoreError
from applet.store.paths import DataPaths

T = TypeVar("T")


class StoreWorker:
    """Runs store operations on one dedicated thread; see the module docstring."""

    def __init__(self, paths: DataPaths, sinks: SinkFanout) -> None:
        self.paths = paths
        self.sinks = sinks
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lls-store")
        self._store: Store | None = None
        self._carry = Batch()
        self.failed_writes = 0

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

    def call_blocking(self, function: Callable[[Store], T]) -> T:
        """Same as :meth:`call`, from synchronous code (start-up and shutdown)."""
        return self._executor.submit(lambda: function(self.store)).result()

    # The functions below run on the worker thread (pass them to ``call``).

    def write(self, store: Store, batch: Batch) -> int:
        """Persist a batch, then deliver its events to the sinks. Returns the events stored.

        When the store refuses (locked by a long writer, disk full) the batch is kept and retried with
        the next one, so nothing is lost while the service keeps running.
        """
        batch = self._carry.merge(batch) if self._carry else batch
        self._carry = Batch()
        if not batch:
            return 0
        try:
            if batch.seat_usage:
                store.clients.record_usage(batch.seat_usage)
                batch.seat_usage = []
            if batch.samples:
                store.usage.record_samples(batch.samples)
                batch.samples = []
            if batch.peaks:
                store.products.record_peaks(batch.peaks, batch.usage_generation)
                batch.peaks = {}
            records = store.events.append(batch.events) if batch.events else []
            batch.events = []
        except StoreError as error:
            self.failed_writes += 1
            self._carry = batch
            print(f"lls service: usage not written yet, will retry: {error}", file=sys.stderr)
            return 0
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

        try:
            self._executor.submit(close_store).result()
        finally:
            self._executor.shutdown(wait=True)
