"""Property-based tests (hypothesis) of the counting invariants."""

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from applet.domain.counting import PerSeatAllocator, PerServerCounter, allocate_in_order
from applet.domain.errors import ModeChangeRefused
from applet.domain.products import LicenseMode, Product

clients = st.sampled_from([f"host{i}" for i in range(8)])
users = st.sampled_from([f"user{i}" for i in range(12)])


@given(
    limit=st.integers(0, 6),
    operations=st.lists(
        st.tuples(st.sampled_from(["request", "release"]), clients, st.booleans()), max_size=60
    ),
)
def test_per_server_never_exceeds_the_limit_except_for_administrators(
    limit: int, operations: list[tuple[str, str, bool]]
) -> None:
    counter = PerServerCounter(limit)
    admins: set[str] = set()
    for operation, client, is_admin in operations:
        if operation == "request":
            decision = counter.request(client, is_admin)
            if decision.granted and decision.new_client and is_admin:
                admins.add(client)
        else:
            if counter.release(client):
                admins.discard(client)
        # Only administrators may take usage over the limit.
        assert counter.in_use <= limit + len(admins)
        assert counter.peak >= counter.in_use


@given(limit=st.integers(1, 5), client=clients, repeats=st.integers(1, 5))
def test_several_connections_from_one_client_count_once(limit: int, client: str, repeats: int) -> None:
    counter = PerServerCounter(limit)
    for _ in range(repeats):
        assert counter.request(client).granted
    assert counter.in_use == 1
    for _ in range(repeats - 1):
        assert not counter.release(client)
    assert counter.release(client)
    assert counter.in_use == 0


@given(limit=st.integers(0, 5), busy=st.lists(clients, unique=True, max_size=5), newcomer=clients)
def test_a_free_after_a_request_returns_the_count(limit: int, busy: list[str], newcomer: str) -> None:
    counter = PerServerCounter(limit)
    for client in busy:
        counter.request(client, is_admin=True)
    before = counter.in_use
    decision = counter.request(newcomer)
    if decision.granted:
        counter.release(newcomer)
    assert counter.in_use == before


@settings(max_examples=200)
@given(
    purchased=st.integers(0, 8),
    group_size=st.integers(0, 4),
    operations=st.lists(
        st.tuples(st.sampled_from(["use", "delete", "buy", "remove"]), users, st.integers(1, 3)), max_size=60
    ),
)
def test_per_seat_allocated_never_exceeds_purchased_without_flagging_unlicensed(
    purchased: int, group_size: int, operations: list[tuple[str, str, int]]
) -> None:
    membership = {f"user{i}": "lab" for i in range(group_size)}
    allocator = PerSeatAllocator(purchased, groups={"lab": 2}, membership=membership)
    seen: set[str] = set()
    for operation, user, amount in operations:
        if operation == "use":
            decision = allocator.use(user)
            assert decision.first_use == (user not in seen)
            seen.add(user)
        elif operation == "delete":
            assert allocator.delete(user) == (user in seen)
            seen.discard(user)
        elif operation == "buy":
            allocator.set_purchased(allocator.purchased + amount)
        else:
            allocator.set_purchased(max(0, allocator.purchased - amount))
        assert allocator.allocated <= allocator.purchased
        assert allocator.users == len(seen)
        # The running totals agree with a recount of the holders.
        holders = allocator._holders.values()
        assert allocator.allocated == sum(h.units for h in holders if h.licensed)
        assert allocator.unlicensed_users == sum(len(h.users) for h in holders if not h.licensed)
        # Whoever is not covered is flagged: every seen user is either licensed or counted unlicensed.
        licensed_users = sum(1 for u in seen if allocator.is_licensed(u))
        assert licensed_users + allocator.unlicensed_users == len(seen)
        if allocator.unlicensed_users == 0:
            assert all(allocator.is_licensed(u) for u in seen)


def test_group_members_share_the_group_licenses() -> None:
    allocator = PerSeatAllocator(3, groups={"lab": 2}, membership={"ann": "lab", "bob": "lab"})
    assert allocator.use("ann").licensed
    assert allocator.use("bob").licensed
    assert allocator.allocated == 2
    assert allocator.use("carl").licensed
    assert not allocator.use("dora").licensed
    assert allocator.unlicensed_users == 1
    allocator.delete("carl")
    assert allocator.is_licensed("dora") is True


@given(target=st.sampled_from(list(LicenseMode)), agreed=st.booleans(), flips=st.integers(1, 4))
def test_a_flip_never_goes_back(target: LicenseMode, agreed: bool, flips: int) -> None:
    product = Product("P").change_mode(LicenseMode.PER_SEAT, agreed=True)
    for _ in range(flips):
        with contextlib.suppress(ModeChangeRefused):
            product = product.change_mode(target, agreed)
        assert product.mode is LicenseMode.PER_SEAT


@given(units=st.lists(st.integers(1, 4), max_size=20), purchased=st.integers(0, 30))
def test_allocation_in_order_fits_the_budget(units: list[int], purchased: int) -> None:
    decisions = allocate_in_order(units, purchased)
    assert sum(u for u, fits in zip(units, decisions, strict=True) if fits) <= purchased


def test_replaying_many_users_is_linear() -> None:
    import time

    allocator = PerSeatAllocator(10_000)
    started = time.perf_counter()
    for number in range(50_000):
        allocator.use(f"user{number}")
    elapsed = time.perf_counter() - started
    assert allocator.allocated == 10_000 and allocator.unlicensed_users == 40_000
    # Linear: about 0.1 s here; a sum over every holder per first use would take minutes.
    assert elapsed < 5.0, f"50,000 first uses took {elapsed:.1f} s"
