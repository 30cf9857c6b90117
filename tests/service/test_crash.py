"""``kill -9`` of the service under load, then a restart: nothing lost beyond about a second, nothing
counted twice, configuration and purchases intact."""

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from applet.client.api import LicenseDenied, ServiceClient, ServiceError
from applet.client.discovery import find_service
from applet.domain.products import LicenseMode
from applet.store import Store


def _load(service: Any, worker: int, stop: threading.Event, log: list[tuple[float, str, str]]) -> None:
    """Per Seat uses by ever new users, plus Per Server traffic, until the service dies."""
    number = 0
    with ServiceClient(service.endpoint) as client:
        while not stop.is_set():
            user = f"user{worker}-{number:05d}"
            try:
                client.request("Exchange", user)
                log.append((time.monotonic(), "Exchange", user))
                try:
                    lease = client.request("SQL Server", user, client=f"ws{number % 7}")
                    client.free(lease.handle)
                except LicenseDenied:
                    pass
            except ServiceError:
                return  # the service was killed
            number += 1


def test_kill_9_under_load_then_restart(start_service: Callable[..., Any], data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=100_000, agreed=True)
        store.products.add("SQL Server", "admin", limit=5, agreed=True)
        store.ledger.add("SQL Server", 3, "admin", agreed=True, comment="second purchase")
        configuration = [(p.name, p.mode, p.licenses) for p in store.products.list()]
        ledger = [(p.product, p.quantity, p.comment) for p in store.ledger.history()]
    service = start_service()
    stop = threading.Event()
    uses: list[tuple[float, str, str]] = []
    workers = [threading.Thread(target=_load, args=(service, index, stop, uses)) for index in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(3.0)
    killed_at = time.monotonic()
    service.kill()  # SIGKILL: no shutdown, no last batch
    stop.set()
    for worker in workers:
        worker.join(10)
    assert len(uses) > 200, "the load did not run"
    assert find_service(data_dir) is None  # the endpoint file is stale: its port does not answer

    with Store.open(data_dir) as store:
        assert [(p.name, p.mode, p.licenses) for p in store.products.list()] == configuration
        assert [(p.product, p.quantity, p.comment) for p in store.ledger.history()] == ledger
        rows = {row.user: row.usage_count for row in store.clients.usage("Exchange")}
    granted = {user for _, _, user in uses}
    assert set(rows) <= granted
    assert all(count == 1 for count in rows.values()), "a use was counted twice"
    # Written in batches about once a second: everything older than ~2 s before the kill is there.
    old_enough = {user for when, _, user in uses if when < killed_at - 2.0}
    assert old_enough, "the load did not run long enough to check"
    assert old_enough <= set(rows), f"{len(old_enough - set(rows))} uses older than 2 s were lost"

    restarted = start_service()  # the kernel released the lock with the killed process
    with ServiceClient(restarted.endpoint) as client:
        for user in sorted(rows)[:20]:
            client.free(client.request("Exchange", user).handle)
        status = client.product("Exchange")
    assert status["per_seat_allocated"] == len(rows)  # known users are not first uses again
    restarted.stop()
    with Store.open(data_dir) as store:
        again = {row.user: row.usage_count for row in store.clients.usage("Exchange")}
    assert set(again) == set(rows)
    assert sorted(again.values()).count(2) == 20
