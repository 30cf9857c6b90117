"""Property-based tests (hypothesis) of the counting invariants."""

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from applet.domain.counting import PerSeatAllocator, PerServerCounter
from applet.domain.errors import ModeChangeRefused
from applet.domain.products import LicenseMode, Product

clients = st.sampled_from([f"host{i}" for i in range(8)])


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


@given(target=st.sampled_from(list(LicenseMode)), agreed=st.booleans(), flips=st.integers(1, 4))
def test_a_flip_never_goes_back(target: LicenseMode, agreed: bool, flips: int) -> None:
    product = Product("P").change_mode(LicenseMode.PER_SEAT, agreed=True)
    for _ in range(flips):
        with contextlib.suppress(ModeChangeRefused):
            product = product.change_mode(target, agreed)
        assert product.mode is LicenseMode.PER_SEAT


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
