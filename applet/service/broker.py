"""The license broker: leases, counting by the domain rules, and what must be persisted.

Everything here runs on the service's event-loop thread and never touches the store or the network:
the broker decides in memory (fast, so license-aware programs are never kept waiting) and collects
what to persist in a :class:`Batch`, which the store worker writes about once a second. Times are
passed in (``now`` = monotonic seconds) so tests can drive the clock.

* A request names a product, a user, optionally the client host and whether the caller is an
  administrator. Per Server products count distinct clients (``client`` or, when absent, the user)
  against the concurrent limit; Per Seat products allocate a license to the user on first use and
  never refuse.
* A grant is a *lease* (:mod:`applet.service.leases`): it expires unless renewed by a heartbeat, so a
  crashed program never holds a license forever. A request repeated with the same idempotency key
  returns the same lease.
* Observed usage (TCP connections, sessions) takes leases that never expire and is admitted like an
  administrator (what is already connected cannot be refused); observers add and drop them as
  connections come and go (:meth:`Broker.sync_observed`).
"""

import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from applet.domain.counting import PerSeatAllocator, PerServerCounter
from applet.domain.errors import LicensingError, UnknownProduct
from applet.domain.events import EventId, ViolationThrottle
from applet.domain.products import LicenseMode
from applet.domain.validation import clean_name
from applet.service.leases import NEVER, ExpiryReport, Lease, LeaseCaps, LeaseTable, checked_key
from applet.service.product_state import MinuteSample, ProductState, describe
from applet.store.database import utc_now
from applet.store.events import NewEvent
from applet.store.records import LicenseGroupRecord, ProductRecord, SeatUsage, UsageSample


@dataclass(frozen=True)
class Denial:
    """A refused request."""

    product: str
    reason: str
    in_use: int
    limit: int


@dataclass(frozen=True)
class ConfigSnapshot:
    """The configuration the broker counts against, read from the store in one go."""

    revision: int
    products: Sequence[ProductRecord]
    groups: Sequence[LicenseGroupRecord]
    seat_counts: Mapping[int, int]  # Per Seat usage rows per product id
    # Per Seat users in order of first use, each with its holder's licensing order (None: waiting), of
    # the products whose allocation must be restored (see :meth:`Broker.seats_to_load`); the others
    # keep the allocation in memory.
    seats: Mapping[int, Sequence[tuple[str, int | None]]]
    usage_generation: int = 0  # usage resets seen by the store (a new one restarts the peaks)


@dataclass
class Batch:
    """What the store worker must write: Per Seat uses, samples, peaks, events."""

    seat_usage: list[SeatUsage] = field(default_factory=list)
    samples: list[UsageSample] = field(default_factory=list)
    peaks: dict[int, int] = field(default_factory=dict)
    events: list[NewEvent] = field(default_factory=list)
    usage_generation: int | None = None  # of the peaks: the store drops peaks from before a reset

    def __bool__(self) -> bool:
        return bool(self.seat_usage or self.samples or self.peaks or self.events)

    def merge(self, later: "Batch") -> "Batch":
        """This batch followed by ``later`` (used to retry a batch the store refused)."""
        peaks = dict(self.peaks) if self.usage_generation == later.usage_generation else {}
        for product_id, peak in later.peaks.items():
            peaks[product_id] = max(peak, peaks.get(product_id, 0))
        return Batch(
            self.seat_usage + later.seat_usage,
            self.samples + later.samples,
            peaks,
            self.events + later.events,
            later.usage_generation,
        )


class Broker:
    """Leases and counters of every product; see the module docstring."""

    def __init__(
        self,
        lease_expiry: float,
        violation_interval: float,
        wall_clock: bool = True,
        caps: LeaseCaps | None = None,
    ) -> None:
        self.lease_expiry = lease_expiry
        self.throttle = ViolationThrottle(violation_interval)
        self.revision = 0
        self.usage_generation: int | None = None  # of the store's usage resets, once configured
        self._products: dict[int, ProductState] = {}
        self._by_name: dict[str, ProductState] = {}
        self._leases = LeaseTable(caps)
        self._expiries = ExpiryReport()
        self.expired_leases = 0  # reclaimed since start (GET /metrics)
        self._observed: dict[tuple[str, int, str], str] = {}
        self._group_ids: dict[str, int] = {}
        self._membership: dict[str, str] = {}
        self._group_licenses: dict[str, int] = {}
        self._pending_seats: dict[tuple[int, str], SeatUsage] = {}
        # First uses not yet handed to the store worker, per product (see seats_to_load).
        self._unwritten_users: dict[int, int] = {}
        self._groups_key: tuple[object, ...] | None = None
        self._events: list[NewEvent] = []
        self._wall_clock = wall_clock

    # ------------------------------------------------------------------ configuration

    @property
    def products(self) -> list[ProductState]:
        """Active products, by name."""
        return sorted((p for p in self._products.values() if p.active), key=lambda p: p.name.casefold())

    def product(self, name: str) -> ProductState:
        """An active product by name (case-insensitive), or :class:`UnknownProduct`."""
        state = self._by_name.get(name.strip().casefold())
        if state is None:
            raise UnknownProduct(name)
        return state

    @staticmethod
    def _key_of_groups(groups: Sequence[LicenseGroupRecord]) -> tuple[object, ...]:
        return tuple(
            (g.group_id, g.name, g.licenses, tuple(sorted(m.casefold() for m in g.members))) for g in groups
        )

    def seats_to_load(self, snapshot: ConfigSnapshot) -> list[int]:
        """The Per Seat products whose allocation must be rebuilt from the store's rows.

        Rebuilt when the product changed (purchases, mode, reset), when license groups changed, or when
        the store holds a different number of users than counted here (a client was deleted);
        otherwise the allocation in memory is kept, so a change elsewhere costs no replay.
        """
        groups_changed = self._key_of_groups(snapshot.groups) != self._groups_key
        needed = []
        for record in snapshot.products:
            if record.mode is not LicenseMode.PER_SEAT:
                continue
            state = self._products.get(record.product_id)
            if (
                groups_changed
                or state is None
                or state.allocator is None
                or state.revision != record.revision
                or snapshot.seat_counts.get(record.product_id, 0)
                != state.allocator.users - self._unwritten_users.get(record.product_id, 0)
            ):
                needed.append(record.product_id)
        return needed

    def apply(self, snapshot: ConfigSnapshot, now: float, announce: bool = True) -> list[str]:
        """Adopt a configuration read from the store; returns the names of products that changed.

        Lowering a Per Server limit below the clients connected now raises event 221; each changed
        product gets event 232 (``announce``; not at start-up).
        """
        self.revision = snapshot.revision
        usage_reset = self.usage_generation is not None and snapshot.usage_generation != self.usage_generation
        self.usage_generation = snapshot.usage_generation
        self._group_ids = {g.name: g.group_id for g in snapshot.groups}
        self._group_licenses = {g.name: g.licenses for g in snapshot.groups}
        self._membership = {user.casefold(): g.name for g in snapshot.groups for user in g.members}
        self._groups_key = self._key_of_groups(snapshot.groups)
        seen: set[int] = set()
        changed: list[str] = []
        for record in snapshot.products:
            seen.add(record.product_id)
            state = self._products.get(record.product_id)
            if state is None:
                state = ProductState(
                    product_id=record.product_id,
                    name=record.name,
                    version=record.version,
                    mode=record.mode,
                    revision=record.revision,
                    counter=PerServerCounter(record.per_server_licenses, record.peak_in_use),
                    allocator=None,
                    per_seat_licenses=record.per_seat_licenses,
                    observe_tcp_port=record.observe_tcp_port,
                    observe_sessions=record.observe_sessions,
                )
                self._products[record.product_id] = state
                changed.append(record.name)
            else:
                if state.revision != record.revision or not state.active:
                    changed.append(record.name)
                self._update(state, record, usage_reset)
            state.active = True
            if state.mode is not LicenseMode.PER_SEAT:
                state.allocator = None
            elif record.product_id in snapshot.seats or state.allocator is None:
                state.allocator = self._allocator(state, snapshot.seats.get(record.product_id, ()))
            self._check_over_limit(state, now)
        for product_id, state in self._products.items():
            if product_id not in seen and state.active:
                state.active = False
                changed.append(state.name)
        self._by_name = {p.name.casefold(): p for p in self._products.values() if p.active}
        if announce:
            for name in changed:
                state = self._by_name.get(name.casefold())
                description = describe(state) if state is not None else "removed"
                self._emit(EventId.CONFIGURATION_APPLIED, (name, description), name)
        return changed

    def _update(self, state: ProductState, record: ProductRecord, usage_reset: bool) -> None:
        state.name = record.name
        state.version = record.version
        state.mode = record.mode
        state.revision = record.revision
        state.counter.limit = record.per_server_licenses
        state.per_seat_licenses = record.per_seat_licenses
        state.observe_tcp_port = record.observe_tcp_port
        state.observe_sessions = record.observe_sessions
        if usage_reset:
            # A usage reset restarts the peak from the clients connected now (the store drops any
            # peak this service counted before it: see Batch.usage_generation).
            state.counter.peak = state.counter.in_use
            state.peak_dirty = True
        elif state.peak_dirty:
            # A new peak not yet written: the store's value is older than ours.
            state.counter.peak = max(state.counter.peak, record.peak_in_use)
        else:
            # The store is the authority (a usage reset sets it back), but the peak is never below the
            # clients connected now (a reset while leases are held sets it to them), and is written back
            # when that is more than the store's figure.
            state.counter.peak = max(record.peak_in_use, state.counter.in_use)
            state.peak_dirty = state.counter.peak > record.peak_in_use

    def _allocator(self, state: ProductState, seats: Iterable[tuple[str, int | None]]) -> PerSeatAllocator:
        # The store's record of who is licensed is restored, not re-decided (that would demote licensed
        # holders); uses not yet written come after them.
        allocator = PerSeatAllocator.restore(
            state.per_seat_licenses,
            ((user.casefold(), order) for user, order in seats),
            self._group_licenses,
            self._membership,
        )
        for (product_id, user), _usage in self._pending_seats.items():
            if product_id == state.product_id:
                allocator.use(user)
        return allocator

    def check_violations(self, now: float) -> None:
        """Repeat the standing violations, each at most once per violation interval (the service's timer).

        A product over its licenses logs 221 again without waiting for a new request, and a Per Seat
        user still unlicensed 201 again; a product back within its licenses stops repeating. A refused
        Per Server request is not repeated: the refused client holds nothing.
        """
        for state in self._products.values():
            if not state.active:
                continue
            self._check_over_limit(state, now)
            user = state.unlicensed_user
            if user is not None and state.allocator is not None:
                if state.allocator.is_licensed(user.casefold()) is False:
                    self._violation(EventId.NO_LICENSE, state, (user, state.display_name()), now)
                else:
                    state.unlicensed_user = None

    def _check_over_limit(self, state: ProductState, now: float) -> None:
        if state.mode is LicenseMode.PER_SERVER:
            if state.counter.in_use > state.counter.limit:
                self._violation(
                    EventId.OVER_LICENSED, state, (state.counter.in_use, state.name, state.counter.limit), now
                )
        elif state.allocator is not None and state.allocator.needed > state.allocator.purchased:
            self._violation(
                EventId.OVER_LICENSED,
                state,
                (state.allocator.needed, state.name, state.allocator.purchased),
                now,
            )

    # ------------------------------------------------------------------ requests

    def request(
        self,
        product: str,
        user: object,
        now: float,
        client: object = None,
        admin: bool = False,
        key: object = None,
        lease_seconds: float | None = None,
        observed: str | None = None,
        version: str | None = None,
    ) -> Lease | Denial:
        """Grant a lease or deny; see the module docstring. Raises :class:`LicensingError` on bad input."""
        key = checked_key(key)
        user_name = clean_name(user, "user name")
        client_name = clean_name(client, "client host") if client is not None else user_name
        state = self.product(product)
        if key is not None:
            existing = self._leases.by_key(key, state.product_id, user_name, client_name)
            if existing is not None:
                existing.expires = now + existing.ttl
                return existing
        if observed is None:
            self._leases.check_room(user_name, client_name)
        ttl = self.lease_expiry if lease_seconds is None else lease_seconds
        client_key = client_name.casefold()
        state.requests += 1
        sample = self._sample(state)
        sample.requests += 1
        if state.mode is LicenseMode.PER_SERVER:
            # Observed connections are already there: admitted like administrators, still counted.
            decision = state.counter.request(client_key, admin or observed is not None)
            if not decision.granted:
                state.denials += 1
                sample.denials += 1
                self._violation(EventId.NO_LICENSE, state, (user_name, state.display_name(version)), now)
                return Denial(
                    state.name,
                    f"no license available: {decision.in_use} of {decision.limit} concurrent "
                    f"connections of {state.name} are in use",
                    decision.in_use,
                    decision.limit,
                )
            licensed = not decision.over_limit
            if decision.new_client and decision.in_use == decision.limit:
                self._violation(EventId.OUT_OF_LICENSES, state, (state.display_name(version),), now)
            if decision.new_client and decision.over_limit:
                self._violation(
                    EventId.OVER_LICENSED, state, (decision.in_use, state.name, decision.limit), now
                )
        else:
            # Per Seat: concurrency is tracked for peaks and charts, never limited.
            decision = state.counter.request(client_key, True)
            licensed = self._use_seat(state, user_name, now, version)
        if decision.new_client:
            state.peak_dirty = state.peak_dirty or state.counter.peak == state.counter.in_use
        sample.max_in_use = max(sample.max_in_use, state.counter.in_use)
        lease = Lease(
            # Hex, so a handle never starts with "-" (which `lls free HANDLE` would take for an option).
            handle=secrets.token_hex(16),
            product_id=state.product_id,
            product=state.name,
            user=user_name,
            client=client_name,
            admin=admin,
            licensed=licensed,
            granted=utc_now(),
            ttl=ttl,
            expires=NEVER if observed else now + ttl,
            key=key,
            observed=observed,
        )
        self._leases.add(lease)
        return lease

    def _use_seat(self, state: ProductState, user: str, now: float, version: str | None) -> bool:
        assert state.allocator is not None
        user_key = user.casefold()
        seat = state.allocator.use(user_key)
        group = self._membership.get(user_key)
        pending_key = (state.product_id, user_key)
        previous = self._pending_seats.get(pending_key)
        self._pending_seats[pending_key] = SeatUsage(
            product_id=state.product_id,
            user=previous.user if previous is not None else user,
            when=utc_now(),
            licensed=seat.licensed,
            group_id=self._group_ids.get(group) if group is not None else None,
            count=(previous.count if previous is not None else 0) + 1,
            licensed_order=seat.licensed_order,
        )
        if seat.first_use:
            self._unwritten_users[state.product_id] = self._unwritten_users.get(state.product_id, 0) + 1
        if seat.first_use and not seat.licensed:
            # The Per Seat pool is exhausted: the original logged 201 on the master server.
            state.unlicensed_user = user
            self._violation(EventId.NO_LICENSE, state, (user, state.display_name(version)), now)
            self._violation(
                EventId.OVER_LICENSED,
                state,
                (state.allocator.needed, state.name, state.allocator.purchased),
                now,
            )
        return seat.licensed

    def free(self, handle: object) -> Lease:
        """Release a lease; raises :class:`LeaseNotFound` for unknown, freed or expired handles."""
        lease = self._leases.pop(handle)
        self._release(lease)
        return lease

    def heartbeat(self, handle: object, now: float) -> Lease:
        """Renew a lease for another ``ttl`` seconds."""
        lease = self._leases.get(handle)
        if lease.observed is None:
            lease.expires = now + lease.ttl
        return lease

    def lease(self, handle: str) -> Lease:
        """A live lease by handle."""
        return self._leases.get(handle)

    def leases(self) -> list[Lease]:
        """Every live lease."""
        return list(self._leases)

    @property
    def lease_count(self) -> int:
        """Live leases, observed ones included."""
        return len(self._leases)

    def _release(self, lease: Lease) -> None:
        state = self._products.get(lease.product_id)
        if state is not None:
            state.counter.release(lease.client.casefold())

    def expire(self, now: float) -> list[Lease]:
        """Reclaim leases whose holder stopped sending heartbeats (event 241 per product, at most once
        a minute, with the count)."""
        expired = self._leases.take_expired(now)
        self.expired_leases += len(expired)
        for lease in expired:
            self._release(lease)
        self._expiries.add(expired)
        for count, product, users in self._expiries.due(now):
            self._emit(EventId.LEASES_EXPIRED, (count, product, users), product)
        return expired

    # ------------------------------------------------------------------ observers

    def sync_observed(
        self, source: str, product_id: int, present: Iterable[tuple[str, str]], now: float
    ) -> None:
        """Make the observed leases of ``source`` for a product match ``present`` (user, client) pairs.

        New connections request a license like a program would (so they are counted and sampled), but
        are admitted like administrators: the service cannot refuse a connection it only observes, so
        over the limit they count (the peak shows them, event 221) and 201 stays for requests really
        refused. Connections that went away free theirs.
        """
        state = self._products.get(product_id)
        wanted: dict[tuple[str, int, str], tuple[str, str]] = {}
        for user, client in present:
            wanted[(source, product_id, client.casefold())] = (user, client)
        for key, handle in list(self._observed.items()):
            if key[0] == source and key[1] == product_id and key not in wanted:
                del self._observed[key]
                lease = self._leases.discard(handle)
                if lease is not None:
                    self._release(lease)
        if state is None or not state.active:
            return
        for key, (user, client) in wanted.items():
            if key in self._observed:
                continue
            try:
                result = self.request(state.name, user, now, client=client, observed=source)
            except LicensingError:
                continue  # a name the rules refuse (e.g. control characters): not countable
            if isinstance(result, Lease):
                self._observed[key] = result.handle

    def drop_observed(self, source: str, keep_products: set[int]) -> None:
        """Free observed leases of ``source`` for products no longer observed."""
        for key, handle in list(self._observed.items()):
            if key[0] == source and key[1] not in keep_products:
                del self._observed[key]
                lease = self._leases.discard(handle)
                if lease is not None:
                    self._release(lease)

    # ------------------------------------------------------------------ events and batches

    def emit(self, event_id: EventId, parameters: Sequence[object], product: str | None = None) -> None:
        """Queue an event for the store and the event sinks."""
        self._emit(event_id, tuple(parameters), product)

    def _emit(self, event_id: EventId, parameters: tuple[object, ...], product: str | None) -> None:
        self._events.append(NewEvent(event_id, parameters, product, utc_now()))

    def _violation(
        self, event_id: EventId, state: ProductState, parameters: tuple[object, ...], now: float
    ) -> None:
        if self.throttle.allow(event_id, state.name.casefold(), now):
            self._emit(event_id, parameters, state.name)

    def _minute(self) -> int:
        return int(time.time() // 60) if self._wall_clock else 0

    def _sample(self, state: ProductState) -> MinuteSample:
        minute = self._minute()
        sample = state.sample
        if sample is None or sample.minute != minute:
            sample = MinuteSample(minute, state.counter.in_use)
            state.sample = sample
        return sample

    def take_batch(self) -> Batch:
        """Hand over everything to persist since the last call."""
        batch = Batch(
            seat_usage=list(self._pending_seats.values()),
            events=self._events,
            usage_generation=self.usage_generation,
        )
        self._pending_seats = {}
        self._unwritten_users = {}
        self._events = []
        for state in self._products.values():
            if state.peak_dirty:
                batch.peaks[state.product_id] = state.counter.peak
                state.peak_dirty = False
            in_use = state.counter.in_use
            sample = state.sample
            if sample is None and not in_use:
                continue
            minute = self._minute()
            if sample is None:
                sample = MinuteSample(minute, in_use)
            sample.max_in_use = max(sample.max_in_use, in_use)
            batch.samples.append(
                UsageSample(
                    state.product_id, sample.minute, sample.max_in_use, sample.requests, sample.denials
                )
            )
            # The next flush adds only new counts; its maximum starts from the clients connected now.
            state.sample = MinuteSample(minute, in_use) if in_use else None
        return batch
