"""The broker's counting, leases, events and batches, driven with a real store's configuration."""

from dataclasses import replace
from typing import Any

import pytest

from applet.domain.errors import InvalidInput, UnknownProduct
from applet.domain.events import EventId
from applet.domain.products import LicenseMode
from applet.service.broker import Broker, Denial
from applet.service.leases import Lease, LeaseNotFound
from applet.service.worker import StoreWorker
from applet.store import Store


def _broker(store: Store, expiry: float = 10.0, interval: float = 3600.0) -> Broker:
    broker = Broker(expiry, interval, wall_clock=False)
    broker.apply(StoreWorker.snapshot(store), now=0.0, announce=False)
    return broker


def _reload(broker: Broker, store: Store, now: float) -> list[str]:
    """What the running service does: read the head, load only the users the broker asks for."""
    head = StoreWorker.read_head(store)
    seats = store.clients.seat_users(broker.seats_to_load(head))
    return broker.apply(replace(head, seats=seats), now=now)


def _events(broker: Broker) -> list[int]:
    return [int(event.event_id) for event in broker.take_batch().events]


@pytest.fixture
def sql(store: Any) -> Store:
    """The test's store with a Per Server product (2 licenses) and a Per Seat product (2 licenses)."""
    store.products.add("SQL Server", "admin", version="7.0", limit=2, agreed=True)
    store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=2, agreed=True)
    assert isinstance(store, Store)
    return store


def test_per_server_counts_clients_and_denies_at_the_limit(sql: Store) -> None:
    broker = _broker(sql)
    first = broker.request("SQL Server", "alice", 0.0, client="ws1")
    second = broker.request("sql server", "alice", 0.0, client="WS1")  # same client, any case
    third = broker.request("SQL Server", "bob", 0.0, client="ws2")
    denied = broker.request("SQL Server", "carol", 0.0, client="ws3")
    assert isinstance(first, Lease) and isinstance(second, Lease) and isinstance(third, Lease)
    assert isinstance(denied, Denial)
    assert "2 of 2" in denied.reason
    state = broker.product("SQL Server")
    assert (state.counter.in_use, state.requests, state.denials) == (2, 4, 1)
    batch = broker.take_batch()
    # The last license taken (202), then a request finds none (201).
    assert [e.event_id for e in batch.events] == [EventId.OUT_OF_LICENSES, EventId.NO_LICENSE]
    assert batch.events[0].message == "The product SQL Server 7.0 is out of licenses."
    assert batch.events[1].message == "No license was available for user carol using product SQL Server 7.0."
    broker.throttle.interval = 0  # let the next 201 through to see the caller's version
    broker.request("SQL Server", "dave", 1.0, client="ws4", version="7.5")
    assert broker.take_batch().events[0].message.endswith("using product SQL Server 7.5.")
    assert batch.peaks == {state.product_id: 2}
    assert batch.samples[0].requests == 4 and batch.samples[0].denials == 1
    assert batch.samples[0].max_in_use == 2


def test_handles_never_look_like_command_line_options(sql: Store) -> None:
    broker = _broker(sql)
    handles = []
    for number in range(300):
        lease = broker.request("SQL Server", f"user{number}", 0.0, client="ws1", key=f"k{number}")
        assert isinstance(lease, Lease)
        handles.append(lease.handle)
    # `lls free HANDLE` would read a handle starting with "-" as an option (seen once in CI).
    assert not any(handle.startswith("-") for handle in handles)
    assert len(set(handles)) == len(handles)


def test_free_makes_room_and_a_freed_handle_is_unknown(sql: Store) -> None:
    broker = _broker(sql)
    leases = [broker.request("SQL Server", f"u{i}", 0.0) for i in range(2)]
    assert all(isinstance(lease, Lease) for lease in leases)
    assert isinstance(broker.request("SQL Server", "late", 0.0), Denial)
    broker.free(leases[0].handle)  # type: ignore[union-attr]
    assert isinstance(broker.request("SQL Server", "late", 0.0), Lease)
    with pytest.raises(LeaseNotFound):
        broker.free(leases[0].handle)  # type: ignore[union-attr]
    with pytest.raises(LeaseNotFound):
        broker.heartbeat("no-such-handle", 0.0)


def test_administrators_are_admitted_over_the_limit_with_event_221(sql: Store) -> None:
    broker = _broker(sql)
    broker.request("SQL Server", "a", 0.0)
    broker.request("SQL Server", "b", 0.0)
    admin = broker.request("SQL Server", "root", 0.0, client="console", admin=True)
    assert isinstance(admin, Lease) and not admin.licensed
    batch = broker.take_batch()
    assert [e.event_id for e in batch.events] == [EventId.OUT_OF_LICENSES, EventId.OVER_LICENSED]
    assert batch.events[1].message == "Product SQL Server needs 3 licenses but only 2 were purchased."
    assert batch.peaks[broker.product("SQL Server").product_id] == 3


def test_violation_events_are_throttled_per_product(sql: Store) -> None:
    broker = _broker(sql, interval=100.0)
    broker.request("SQL Server", "a", 0.0)
    broker.request("SQL Server", "b", 0.0)
    for _ in range(50):
        broker.request("SQL Server", "c", 1.0)
    assert _events(broker) == [202, 201]
    broker.request("SQL Server", "c", 99.0)
    assert _events(broker) == []
    broker.request("SQL Server", "c", 101.5)
    assert _events(broker) == [201]
    assert broker.product("SQL Server").denials == 52


def test_idempotency_key_returns_the_same_lease(sql: Store) -> None:
    broker = _broker(sql)
    first = broker.request("SQL Server", "alice", 0.0, key="k-1")
    again = broker.request("SQL Server", "alice", 5.0, key="k-1")
    assert isinstance(first, Lease) and again is first
    assert first.expires == 15.0  # renewed by the repeat
    assert broker.product("SQL Server").counter.in_use == 1
    assert broker.product("SQL Server").counter.connections_of("alice") == 1
    broker.free(first.handle)
    fresh = broker.request("SQL Server", "alice", 6.0, key="k-1")
    assert isinstance(fresh, Lease) and fresh.handle != first.handle
    with pytest.raises(InvalidInput):
        broker.request("SQL Server", "alice", 0.0, key="x" * 200)


def test_leases_expire_without_heartbeats(sql: Store) -> None:
    broker = _broker(sql, expiry=10.0)
    kept = broker.request("SQL Server", "kept", 0.0)
    dropped = broker.request("SQL Server", "dropped", 0.0)
    assert isinstance(kept, Lease) and isinstance(dropped, Lease)
    broker.heartbeat(kept.handle, 8.0)
    assert broker.expire(9.9) == []
    assert [lease.user for lease in broker.expire(10.0)] == ["dropped"]
    assert broker.product("SQL Server").counter.in_use == 1
    assert _events(broker) == [EventId.OUT_OF_LICENSES, EventId.LEASES_EXPIRED]  # 202: both licenses taken
    assert broker.expire(17.9) == []
    assert [lease.user for lease in broker.expire(18.0)] == ["kept"]


def test_per_seat_allocates_on_first_use_and_never_refuses(sql: Store) -> None:
    broker = _broker(sql)
    results = [broker.request("Exchange", user, 0.0) for user in ("ann", "ben", "cat", "ann")]
    assert all(isinstance(r, Lease) for r in results)
    assert [r.licensed for r in results] == [True, True, False, True]  # type: ignore[union-attr]
    batch = broker.take_batch()
    assert [e.event_id for e in batch.events] == [EventId.NO_LICENSE, EventId.OVER_LICENSED]
    usage = {u.user: (u.licensed, u.count) for u in batch.seat_usage}
    assert usage == {"ann": (True, 2), "ben": (True, 1), "cat": (False, 1)}


def test_per_seat_state_survives_a_restart_through_the_store(sql: Store) -> None:
    broker = _broker(sql)
    for user in ("ann", "ben", "cat"):
        broker.request("Exchange", user, 0.0)
    sql.clients.record_usage(broker.take_batch().seat_usage)
    restarted = _broker(sql)
    lease = restarted.request("Exchange", "cat", 0.0)
    assert isinstance(lease, Lease) and not lease.licensed
    batch = restarted.take_batch()
    # The standing violation is reported when the service starts; no 201: cat is not a first use.
    assert [e.event_id for e in batch.events] == [EventId.OVER_LICENSED]
    sql.clients.record_usage(batch.seat_usage)
    rows = {r.user: (r.usage_count, r.licensed) for r in sql.clients.usage("Exchange")}
    assert rows == {"ann": (1, True), "ben": (1, True), "cat": (2, False)}


def test_license_group_shares_licenses(sql: Store) -> None:
    sql.groups.add("Sales", 1, "admin")
    sql.groups.add_members("Sales", ["sam", "sue"], "admin")
    broker = _broker(sql)
    for user in ("sam", "sue", "zed"):
        lease = broker.request("Exchange", user, 0.0)
        assert isinstance(lease, Lease) and lease.licensed
    assert broker.product("Exchange").allocator.allocated == 2  # type: ignore[union-attr]
    group_id = sql.groups.get("Sales").group_id
    assert {u.user: u.group_id for u in broker.take_batch().seat_usage} == {
        "sam": group_id,
        "sue": group_id,
        "zed": None,
    }


def test_configuration_change_applies_and_lowering_the_limit_raises_221(sql: Store) -> None:
    broker = _broker(sql)
    broker.request("SQL Server", "a", 0.0)
    broker.request("SQL Server", "b", 0.0)
    broker.take_batch()
    sql.ledger.remove("SQL Server", 1, "admin")
    assert _reload(broker, sql, 1.0) == ["SQL Server"]
    state = broker.product("SQL Server")
    assert state.counter.limit == 1
    events = broker.take_batch().events
    assert [e.event_id for e in events] == [EventId.OVER_LICENSED, EventId.CONFIGURATION_APPLIED]
    assert events[1].message.endswith("Per Server, 1 concurrent connections.")
    sql.ledger.add("SQL Server", 5, "admin", agreed=True)
    _reload(broker, sql, 2.0)
    assert isinstance(broker.request("SQL Server", "c", 2.0), Lease)


def test_removed_products_refuse_new_requests_but_free_old_leases(sql: Store) -> None:
    broker = _broker(sql)
    lease = broker.request("SQL Server", "a", 0.0)
    assert isinstance(lease, Lease)
    sql.products.remove("SQL Server", "admin")
    _reload(broker, sql, 1.0)
    with pytest.raises(UnknownProduct):
        broker.request("SQL Server", "b", 1.0)
    assert broker.free(lease.handle).user == "a"


def test_mode_flip_to_per_seat_is_picked_up(sql: Store) -> None:
    broker = _broker(sql)
    sql.products.change_mode("SQL Server", LicenseMode.PER_SEAT, True, "admin")
    _reload(broker, sql, 1.0)
    for user in ("a", "b", "c", "d"):
        assert isinstance(broker.request("SQL Server", user, 1.0), Lease)


def test_usage_reset_in_the_store_resets_the_peak(sql: Store) -> None:
    broker = _broker(sql)
    lease = broker.request("SQL Server", "a", 0.0)
    broker.request("SQL Server", "b", 0.0)
    sql.products.record_peaks(broker.take_batch().peaks)
    broker.free(lease.handle)  # type: ignore[union-attr]
    sql.reset("usage", "admin")
    _reload(broker, sql, 1.0)
    assert broker.product("SQL Server").counter.peak == 1  # the one client still connected
    sql.products.record_peaks(broker.take_batch().peaks, broker.usage_generation)
    assert sql.products.get("SQL Server").peak_in_use == 1  # in the store too, never 0


def test_a_peak_counted_before_a_reset_does_not_undo_it(sql: Store) -> None:
    broker = _broker(sql)
    leases = [broker.request("SQL Server", user, 0.0) for user in ("a", "b")]
    broker.free(leases[1].handle)  # type: ignore[union-attr]
    sql.reset("usage", "admin")  # while the peak of 2 is not written yet
    batch = broker.take_batch()  # what the service writes before it reads the change
    sql.products.record_peaks(batch.peaks, batch.usage_generation)
    assert sql.products.get("SQL Server").peak_in_use == 0  # counted before the reset: dropped
    _reload(broker, sql, 1.0)
    batch = broker.take_batch()
    sql.products.record_peaks(batch.peaks, batch.usage_generation)
    assert broker.product("SQL Server").counter.peak == sql.products.get("SQL Server").peak_in_use == 1


def test_bad_input_is_refused_and_counts_nothing(sql: Store) -> None:
    broker = _broker(sql)
    for user in ("", " ", "x" * 200, "bad\x00name", 42, None):
        with pytest.raises(InvalidInput):
            broker.request("SQL Server", user, 0.0)
    with pytest.raises(UnknownProduct):
        broker.request("No Such Product", "alice", 0.0)
    state = broker.product("SQL Server")
    assert (state.counter.in_use, state.requests, broker.lease_count) == (0, 0, 0)


def test_observed_clients_are_admitted_counted_and_released(sql: Store) -> None:
    broker = _broker(sql)
    product_id = broker.product("SQL Server").product_id
    present = [("10.0.0.1", "10.0.0.1"), ("10.0.0.2", "10.0.0.2"), ("10.0.0.3", "10.0.0.3")]
    for second in range(3):
        broker.sync_observed("tcp", product_id, present, float(second))
    state = broker.product("SQL Server")
    # Three connected, two licenses: all three counted (like administrators), none refused.
    assert (state.counter.in_use, state.counter.peak, state.requests, state.denials) == (3, 3, 3, 0)
    assert _events(broker) == [202, 221]
    assert [lease.licensed for lease in broker.leases()] == [True, True, False]
    assert all(lease.observed == "tcp" and lease.expires == float("inf") for lease in broker.leases())
    broker.sync_observed("tcp", product_id, present[2:], 3.0)  # two left
    assert state.counter.in_use == 1
    assert {lease.client for lease in broker.leases()} == {"10.0.0.3"}
    broker.drop_observed("tcp", set())
    assert state.counter.in_use == 0 and broker.lease_count == 0


def test_only_affected_per_seat_products_are_rebuilt(sql: Store) -> None:
    broker = _broker(sql)
    for user in ("ann", "ben", "cat"):
        broker.request("Exchange", user, 0.0)
    exchange_id = broker.product("Exchange").product_id
    sql.clients.record_usage(broker.take_batch().seat_usage)
    sql.ledger.add("SQL Server", 1, "admin", agreed=True)  # another product: nothing to replay
    assert broker.seats_to_load(StoreWorker.read_head(sql)) == []
    broker.request("Exchange", "dan", 1.0)  # a first use not written yet does not look like a change
    assert broker.seats_to_load(StoreWorker.read_head(sql)) == []
    sql.clients.record_usage(broker.take_batch().seat_usage)
    sql.clients.delete("ben", "admin")  # the store now has fewer users than counted here
    assert broker.seats_to_load(StoreWorker.read_head(sql)) == [exchange_id]
    _reload(broker, sql, 2.0)
    state = broker.product("Exchange")
    assert state.allocator is not None and state.allocator.users == 3
    assert state.allocator.is_licensed("cat") is True  # ben's license went to the waiting user
    sql.groups.add("Ops", 1, "admin")
    assert broker.seats_to_load(StoreWorker.read_head(sql)) == [exchange_id]
    _reload(broker, sql, 3.0)
    sql.ledger.add("Exchange", 1, "admin", agreed=True)
    assert broker.seats_to_load(StoreWorker.read_head(sql)) == [exchange_id]


def test_standing_violations_repeat_every_interval_until_resolved(sql: Store) -> None:
    broker = _broker(sql, interval=10.0)
    broker.request("SQL Server", "a", 0.0)
    broker.request("SQL Server", "b", 0.0)
    root = broker.request("SQL Server", "root", 0.0, client="console", admin=True)
    assert isinstance(root, Lease)
    assert _events(broker) == [202, 221]
    broker.check_violations(9.9)
    assert _events(broker) == []
    broker.check_violations(10.0)  # no new request: the timer repeats 221
    assert _events(broker) == [221]
    broker.check_violations(19.0)
    assert _events(broker) == []
    broker.check_violations(20.0)
    assert _events(broker) == [221]
    broker.free(root.handle)  # back within the licenses: nothing repeats any more
    broker.check_violations(40.0)
    assert _events(broker) == []


def test_unlicensed_per_seat_users_repeat_201_and_221_until_licensed(sql: Store) -> None:
    broker = _broker(sql, interval=10.0)
    for user in ("ann", "ben", "cat"):
        broker.request("Exchange", user, 0.0)
    assert _events(broker) == [201, 221]
    usage = broker.product("Exchange").as_dict()
    assert (usage["per_seat_needed"], usage["limit"], usage["per_seat_unlicensed_users"]) == (3, 2, 1)
    broker.check_violations(10.0)
    batch = broker.take_batch()
    assert [e.message for e in batch.events] == [
        "Product Exchange needs 3 licenses but only 2 were purchased.",
        "No license was available for user cat using product Exchange.",
    ]
    sql.clients.record_usage(batch.seat_usage)
    sql.ledger.add("Exchange", 1, "admin", agreed=True)  # cat gets the new license
    _reload(broker, sql, 11.0)
    assert _events(broker) == [232]
    broker.check_violations(30.0)
    assert _events(broker) == []


def test_out_of_licenses_202_at_most_once_per_interval(sql: Store) -> None:
    broker = _broker(sql, interval=10.0)
    broker.request("SQL Server", "a", 0.0)
    last = broker.request("SQL Server", "b", 0.0)
    assert isinstance(last, Lease)
    assert _events(broker) == [202]  # the last license was taken
    for now in (1.0, 2.0):
        broker.free(last.handle)
        last = broker.request("SQL Server", "b", now)
        assert isinstance(last, Lease)
    assert _events(broker) == []
    broker.free(last.handle)
    broker.request("SQL Server", "b", 10.0)
    assert _events(broker) == [202]
