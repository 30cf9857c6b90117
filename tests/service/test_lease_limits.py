"""What a client token can do with leases: idempotency keys scoped to their first caller, caps on
leases per user+client and in total, a maximum lease length, and one expiry event per product per
minute instead of one per lease (issue 10, defects 7 and 8)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from applet.domain.events import EventId
from applet.service.broker import Broker
from applet.service.leases import KeyConflict, Lease, LeaseCaps, TooManyLeases
from applet.service.worker import StoreWorker
from applet.store import Store


@pytest.fixture
def sql(store: Any) -> Store:
    store.products.add("SQL Server", "admin", limit=1000, agreed=True)
    store.products.add("Exchange", "admin", limit=1000, agreed=True)
    assert isinstance(store, Store)
    return store


def _broker(store: Store, caps: LeaseCaps | None = None, expiry: float = 10.0) -> Broker:
    broker = Broker(expiry, 3600.0, wall_clock=False, caps=caps)
    broker.apply(StoreWorker.snapshot(store), now=0.0, announce=False)
    return broker


def test_a_key_belongs_to_the_product_user_and_client_that_first_used_it(sql: Store) -> None:
    broker = _broker(sql)
    lease = broker.request("SQL Server", "alice", 0.0, client="ws1", key="shared-key")
    assert isinstance(lease, Lease)
    for product, user, client in (
        ("Exchange", "alice", "ws1"),
        ("SQL Server", "mallory", "ws1"),
        ("SQL Server", "alice", "ws9"),
    ):
        with pytest.raises(KeyConflict):
            broker.request(product, user, 1.0, client=client, key="shared-key")
    # The rightful caller still gets the same lease (names compare case-insensitively).
    assert broker.request("sql server", "ALICE", 2.0, client="WS1", key="shared-key") is lease
    assert broker.lease_count == 1 and broker.product("Exchange").counter.in_use == 0


def test_leases_are_capped_per_user_and_client_and_in_total(sql: Store) -> None:
    broker = _broker(sql, LeaseCaps(per_holder=3, total=5))
    for _ in range(3):
        assert isinstance(broker.request("SQL Server", "alice", 0.0, client="ws1"), Lease)
    with pytest.raises(TooManyLeases, match=r"alice.*ws1.*maximum of 3"):
        broker.request("Exchange", "alice", 0.0, client="ws1")
    assert broker.product("Exchange").requests == 0  # a refused request is not counted
    assert isinstance(broker.request("SQL Server", "bob", 0.0, client="ws2"), Lease)
    kept = broker.request("SQL Server", "cat", 0.0, client="ws3")
    assert isinstance(kept, Lease)
    with pytest.raises(TooManyLeases, match="maximum of 5 leases"):
        broker.request("SQL Server", "dan", 0.0, client="ws4")
    # A repeat with the same key is not a new lease; freeing makes room again.
    broker.free(kept.handle)
    assert isinstance(broker.request("SQL Server", "dan", 0.0, client="ws4", key="k"), Lease)
    assert isinstance(broker.request("SQL Server", "dan", 1.0, client="ws4", key="k"), Lease)
    # Observed usage is the service's own: never refused by the caps.
    product_id = broker.product("SQL Server").product_id
    broker.sync_observed("tcp", product_id, [(f"10.0.0.{n}", f"10.0.0.{n}") for n in range(4)], 2.0)
    assert broker.lease_count == 9


def test_expired_leases_make_one_event_per_product_per_minute_with_a_count(sql: Store) -> None:
    broker = _broker(sql, expiry=10.0)
    for number in range(300):
        broker.request("SQL Server", f"user{number}", 0.0)
    broker.request("Exchange", "erin", 0.0)
    assert len(broker.expire(10.0)) == 301
    events = broker.take_batch().events
    assert sorted((e.event_id, e.parameters[0], e.parameters[1]) for e in events) == [
        (EventId.LEASES_EXPIRED, 1, "Exchange"),
        (EventId.LEASES_EXPIRED, 300, "SQL Server"),
    ]
    for number in range(50):
        broker.request("SQL Server", f"late{number}", 20.0)
    broker.expire(30.0)
    assert broker.take_batch().events == []  # within the minute: counted, not logged yet
    broker.expire(69.9)
    assert broker.take_batch().events == []
    broker.expire(70.0)
    [event] = broker.take_batch().events
    assert (event.event_id, event.parameters[0], event.parameters[1]) == (
        EventId.LEASES_EXPIRED,
        50,
        "SQL Server",
    )


def test_api_answers_409_for_a_foreign_key_429_at_the_cap_and_refuses_long_leases(
    start_service: Callable[..., Any], data_dir: Path
) -> None:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", limit=100, agreed=True)
        store.products.add("Exchange", "admin", limit=100, agreed=True)
    service = start_service("--max-leases-per-client", "2", "--max-leases", "3")
    first = {"product": "SQL Server", "user": "alice", "client": "ws1", "idempotency_key": "k1"}
    status, lease = service.http("POST", "/v1/licenses", first)
    assert status == 200 and lease["granted"]
    status, body = service.http("POST", "/v1/licenses", {**first, "product": "Exchange"})
    assert status == 409 and "idempotency key" in body["error"]
    status, body = service.http("POST", "/v1/licenses", {**first, "user": "mallory"})
    assert status == 409
    # Nobody but alice on ws1 can see or free that lease through the key.
    status, body = service.http("GET", f"/v1/licenses/{lease['handle']}")
    assert status == 200 and body["user"] == "alice"
    status, _ = service.http(
        "POST", "/v1/licenses", {"product": "SQL Server", "user": "alice", "client": "ws1"}
    )
    assert status == 200
    status, body = service.http(
        "POST", "/v1/licenses", {"product": "SQL Server", "user": "alice", "client": "ws1"}
    )
    assert status == 429 and "maximum of 2" in body["error"]
    status, _ = service.http("POST", "/v1/licenses", {"product": "SQL Server", "user": "bob"})
    assert status == 200
    status, body = service.http("POST", "/v1/licenses", {"product": "SQL Server", "user": "cat"})
    assert status == 429 and "maximum of 3 leases" in body["error"]
    day = {"product": "SQL Server", "user": "dan", "lease_seconds": 86_401}
    status, body = service.http("POST", "/v1/licenses", day)
    assert status == 400 and "at most 86400" in body["error"]
    status, document = service.http("GET", "/v1/status")
    assert (document["leases"], document["max_leases"], document["max_lease_seconds"]) == (3, 3, 86400)
