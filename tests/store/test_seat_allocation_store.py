"""Per Seat allocation in the store: the very same rule as the domain's, a restart keeps who is licensed,
and a store written by release 1 migrates to the stable allocation."""

import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applet.domain.counting import PerSeatAllocator
from applet.domain.errors import InvalidInput
from applet.domain.products import LicenseMode
from applet.service.broker import Broker, Lease
from applet.service.worker import StoreWorker
from applet.store import Store
from applet.store.records import SeatUsage

ADMIN = "tester"
FIXTURES = Path(__file__).parent / "fixtures"
USERS = [f"user{i}" for i in range(6)]
GROUPS = {"lab": 2, "ops": 1}

store_operations = st.lists(
    st.one_of(
        st.tuples(st.just("use"), st.sampled_from(USERS)),
        st.tuples(st.just("use"), st.sampled_from(USERS)),
        st.tuples(st.just("delete"), st.sampled_from(USERS)),
        st.tuples(st.just("buy"), st.integers(1, 3)),
        st.tuples(st.just("remove"), st.integers(1, 3)),
        st.tuples(st.just("join"), st.sampled_from(USERS), st.sampled_from([*GROUPS, None])),
        st.tuples(st.just("licenses"), st.sampled_from(list(GROUPS)), st.integers(0, 3)),
        st.tuples(st.just("regroup"), st.sampled_from(list(GROUPS)), st.integers(0, 3)),
    ),
    max_size=25,
)


def _licensed_in_store(store: Store) -> dict[str, bool]:
    return {row.user: row.licensed for row in store.clients.usage("Mail")}


def _step(
    store: Store, allocator: PerSeatAllocator, group_of: dict[str, str], operation: tuple[object, ...]
) -> None:
    """One administrator's or user's action, on the store and on the domain's allocator alike."""
    kind = operation[0]
    product_id = store.products.get("Mail").product_id
    if kind == "use":
        user = str(operation[1])
        decision = allocator.use(user)  # the service decides a first use, the store records it
        group = group_of.get(user)
        store.clients.record_usage(
            [
                SeatUsage(
                    product_id,
                    user,
                    "2026-11-01T09:00:00+00:00",
                    decision.licensed,
                    store.groups.get(group).group_id if group else None,
                    licensed_order=decision.licensed_order,
                )
            ]
        )
    elif kind == "delete":
        user = str(operation[1])
        if allocator.delete(user):
            store.clients.delete(user, ADMIN)
    elif kind == "buy":
        store.ledger.add("Mail", int(str(operation[1])), ADMIN, agreed=True)
        allocator.set_purchased(allocator.purchased + int(str(operation[1])))
    elif kind == "remove":
        quantity = min(int(str(operation[1])), allocator.purchased)
        if quantity:
            store.ledger.remove("Mail", quantity, ADMIN)
            allocator.set_purchased(allocator.purchased - quantity)
    elif kind == "join":
        user, group = str(operation[1]), operation[2]
        if group is not None and store.groups.get(str(group)).licenses == 0:
            # Members of a group with no licenses would hold none: the store refuses, nothing changes.
            with pytest.raises(InvalidInput, match="would hold none"):
                store.groups.add_members(str(group), [user], ADMIN)
            return
        if user in group_of:  # the store takes a user out of one group before putting it in another
            store.groups.remove_members(group_of.pop(user), [user], ADMIN)
            allocator.set_group(user, None)
        if group is not None:
            store.groups.add_members(str(group), [user], ADMIN)
            allocator.set_group(user, str(group))
            group_of[user] = str(group)
    elif kind == "licenses":
        group, licenses = str(operation[1]), int(str(operation[2]))
        if licenses == 0 and store.groups.get(group).members:
            with pytest.raises(InvalidInput, match="would hold none"):
                store.groups.update(group, ADMIN, licenses=licenses)
            return
        store.groups.update(group, ADMIN, licenses=licenses)
        allocator.set_group_licenses(group, licenses)
    else:  # the group is removed and made again, empty
        group, licenses = str(operation[1]), int(str(operation[2]))
        store.groups.remove(group, ADMIN)
        allocator.set_group_licenses(group, None)
        for user in [u for u, g in group_of.items() if g == group]:
            del group_of[user]
        store.groups.add(group, licenses, ADMIN)
        allocator.set_group_licenses(group, licenses)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(purchased=st.integers(0, 5), steps=store_operations)
def test_the_store_settles_exactly_as_the_domain_rule(
    purchased: int, steps: list[tuple[object, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder)) as store:
        store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=purchased, agreed=True)
        for group, licenses in GROUPS.items():
            store.groups.add(group, licenses, ADMIN)
        allocator = PerSeatAllocator(purchased, groups=GROUPS)
        product_id = store.products.get("Mail").product_id
        group_of: dict[str, str] = {}
        for operation in steps:
            _step(store, allocator, group_of, operation)
            expected = {
                user: allocator.is_licensed(user) for user in USERS if allocator.is_licensed(user) is not None
            }
            assert _licensed_in_store(store) == expected, operation
            summary = {s.name: s for s in store.usage.summaries()}["Mail"]
            assert summary.per_seat_allocated == allocator.allocated <= allocator.purchased
            # What a (re)starting service restores from the store is the same allocation, unchanged.
            groups = store.groups.list()
            restored = PerSeatAllocator.restore(
                allocator.purchased,
                store.clients.seat_users([product_id])[product_id],
                {g.name: g.licenses for g in groups},
                {member: g.name for g in groups for member in g.members},
            )
            assert {user: restored.is_licensed(user) for user in expected} == expected


def _broker(store: Store) -> Broker:
    broker = Broker(10.0, 3600.0, wall_clock=False)
    broker.apply(StoreWorker.snapshot(store), now=0.0, announce=False)
    return broker


def _reload(broker: Broker, store: Store, now: float) -> None:
    head = StoreWorker.read_head(store)
    broker.apply(replace(head, seats=store.clients.seat_users(broker.seats_to_load(head))), now=now)


def test_the_issue_scenario_through_the_service_and_the_store(store: Store) -> None:
    store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=3, agreed=True)
    store.groups.add("Lab", 2, ADMIN)
    store.groups.add_members("Lab", ["carol"], ADMIN)
    broker = _broker(store)
    leases = [broker.request("Mail", user, 0.0) for user in ("alice", "bob", "carol", "erin")]
    assert [lease.licensed for lease in leases if isinstance(lease, Lease)] == [True, True, False, True]
    batch = broker.take_batch()
    over = [event.message for event in batch.events if event.event_id == 221]
    # When carol waits: licenses needed (alice, bob and Lab's 2) against purchased, never "(3) ... (3)".
    assert over == ["Product Mail needs 4 licenses but only 3 were purchased."]
    store.clients.record_usage(batch.seat_usage)
    store.clients.delete("alice", ADMIN)
    assert _licensed_in_store(store) == {"bob": True, "carol": False, "erin": True}
    _reload(broker, store, 1.0)
    assert broker.product("Mail").allocator.is_licensed("erin") is True  # type: ignore[union-attr]
    # A restart restores who was licensed instead of deciding again from scratch.
    restarted = _broker(store)
    allocator = restarted.product("Mail").allocator
    assert allocator is not None and [allocator.is_licensed(u) for u in ("bob", "carol", "erin")] == [
        True,
        False,
        True,
    ]
    store.ledger.add("Mail", 1, ADMIN, agreed=True)  # now Lab fits
    assert _licensed_in_store(store) == {"bob": True, "carol": True, "erin": True}


def test_a_release_1_store_migrates_to_stable_allocation(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    connection = sqlite3.connect(data_dir / "licensing.sqlite3")
    connection.executescript((FIXTURES / "release-1-per-seat.sql").read_text())
    connection.close()
    with Store.open(data_dir) as store:
        orders = dict(store.db.connection.execute("SELECT user, licensed_order FROM seat_clients").fetchall())
        # Release 1 licensed in order of first use: that order is kept as the licensing order.
        assert orders == {"alice": 1, "bob": 2, "carol": None, "erin": 4}
        store.clients.delete("alice", ADMIN)
        assert _licensed_in_store(store) == {"bob": True, "carol": False, "erin": True}
        store.ledger.remove("Mail", 2, ADMIN)  # erin was licensed last: erin gives hers back
        assert _licensed_in_store(store) == {"bob": True, "carol": False, "erin": False}


def test_adding_a_member_to_a_licensed_group_frees_the_members_own_license(store: Store) -> None:
    store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=3, agreed=True)
    store.groups.add("Lab", 2, ADMIN)
    store.groups.add_members("Lab", ["ann"], ADMIN)
    product_id = store.products.get("Mail").product_id
    lab = store.groups.get("Lab").group_id
    store.clients.record_usage([SeatUsage(product_id, "ann", "2026-11-01T09:00:00+00:00", True, lab)])
    store.clients.record_usage([SeatUsage(product_id, "bob", "2026-11-01T09:00:00+00:00", True)])
    store.clients.record_usage([SeatUsage(product_id, "cid", "2026-11-01T09:00:00+00:00", False)])
    store.groups.add_members("Lab", ["bob"], ADMIN)  # bob's own license goes to cid, who waited
    assert _licensed_in_store(store) == {"ann": True, "bob": True, "cid": True}
    store.groups.add_members("Lab", ["bob"], ADMIN)  # again: nothing changes
    assert _licensed_in_store(store) == {"ann": True, "bob": True, "cid": True}


def test_a_first_use_written_after_a_removal_never_overallocates(store: Store) -> None:
    store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=2, agreed=True)
    broker = _broker(store)
    broker.request("Mail", "ann", 0.0)
    store.clients.record_usage(broker.take_batch().seat_usage)
    _reload(broker, store, 0.5)
    revision = store.config_revision()
    store.ledger.remove("Mail", 1, ADMIN)  # meanwhile, before the service has read the change...
    broker.request("Mail", "bob", 1.0)  # ...it licenses bob in the license that is gone
    store.clients.record_usage(broker.take_batch().seat_usage)
    # The store settles by the rule (bob, licensed last, gives it back) and tells the service.
    assert _licensed_in_store(store) == {"ann": True, "bob": False}
    assert store.config_revision() > revision + 1
    _reload(broker, store, 2.0)
    allocator = broker.product("Mail").allocator
    assert allocator is not None and allocator.is_licensed("bob") is False and allocator.allocated == 1


def test_a_group_with_members_keeps_some_licenses(
    store: Store, store_snapshot: Callable[[], list[str]]
) -> None:
    store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=3, agreed=True)
    store.groups.add("Lab", 2, ADMIN)
    store.groups.add_members("Lab", ["carol"], ADMIN)
    before = store_snapshot()
    with pytest.raises(InvalidInput, match="would hold none"):
        store.groups.update("Lab", ADMIN, licenses=0)
    assert store_snapshot() == before
    store.groups.remove_members("Lab", ["carol"], ADMIN)
    assert store.groups.update("Lab", ADMIN, licenses=0).licenses == 0  # an empty group may have none
