"""A batch of the service's writes (Per Seat uses, samples, peaks, events) is one transaction: when
any part is refused nothing of it is saved, and the retry saves it once (no use counted twice)."""

import sqlite3
from pathlib import Path

from applet.domain.events import EventId
from applet.domain.products import LicenseMode
from applet.service.broker import Batch
from applet.service.sinks import SinkFanout
from applet.service.worker import StoreWorker
from applet.store import Store
from applet.store.events import NewEvent
from applet.store.paths import resolve_paths
from applet.store.records import SeatUsage

WHEN = "2026-12-01T09:00:00+00:00"


def _batch(product_id: int) -> Batch:
    return Batch(
        seat_usage=[SeatUsage(product_id, "alice", WHEN, True), SeatUsage(product_id, "bob", WHEN, True)],
        events=[NewEvent(EventId.SERVICE_STARTED)],
    )


def test_a_refused_event_saves_none_of_its_batch_and_the_retry_counts_each_use_once(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=10, agreed=True)
        [product_id] = [p.product_id for p in store.products.list() if p.name == "Exchange"]
    database = data_dir / "licensing.sqlite3"
    with sqlite3.connect(database) as connection:  # the events table refuses, as a damaged page would
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
    connection.close()
    worker = StoreWorker(resolve_paths(data_dir), SinkFanout([]))
    try:
        assert worker.call_blocking(lambda store: worker.write(store, _batch(product_id), force=True)) == 0
        assert worker.failed_writes == 1 and worker.unsaved_since is not None
        assert worker.call_blocking(lambda store: store.clients.usage("Exchange")) == []

        with sqlite3.connect(database) as connection:
            connection.execute("DROP TRIGGER refuse")
        connection.close()
        assert worker.call_blocking(lambda store: worker.write(store, Batch(), force=True)) == 1
        rows = worker.call_blocking(lambda store: store.clients.usage("Exchange"))
        assert sorted((row.user, row.usage_count) for row in rows) == [("alice", 1), ("bob", 1)]
        assert worker.unsaved_since is None
    finally:
        worker.close()


def test_a_transaction_inside_another_joins_it(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=10, agreed=True)
        [product_id] = [p.product_id for p in store.products.list() if p.name == "Exchange"]
        try:
            with store.db.transaction():
                store.clients.record_usage([SeatUsage(product_id, "alice", WHEN, True)])
                raise RuntimeError("later in the batch")
        except RuntimeError:
            pass
        assert store.clients.usage("Exchange") == []
        with store.db.transaction():
            store.clients.record_usage([SeatUsage(product_id, "alice", WHEN, True)])
            assert store.db.connection.in_transaction  # not committed by the inner transaction
        assert [row.user for row in store.clients.usage("Exchange")] == ["alice"]
