"""Leases: the licenses programs (and observers) hold, by handle and by idempotency key.

A grant is a *lease*: it expires unless renewed by a heartbeat, so a crashed program never holds a
license forever. A request repeated with the same idempotency key returns the same lease, but only
to the caller that first used the key (same product, user and client): anyone else gets
:class:`KeyConflict` (409), so guessing or reusing a key never hands over someone else's lease.

What a client token can create is bounded (:class:`LeaseCaps`): leases per user and client, leases
in total (:class:`TooManyLeases`, 429). Observed leases (made by the service's own observers) are not
counted against the caps. Expired leases are reported per product at most once a minute, with a
count (:class:`ExpiryReport`), so a crashed program with thousands of leases writes one event, not
thousands.

The :class:`LeaseTable` only keeps the leases; counting them against the licenses is the broker's
job (:mod:`applet.service.broker`). Runs on the service's event-loop thread; times are monotonic
seconds.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from applet.domain.errors import InvalidInput, LicensingError

MAX_IDEMPOTENCY_KEY = 128
NEVER = float("inf")
DEFAULT_MAX_PER_HOLDER = 100
DEFAULT_MAX_TOTAL = 20_000
EXPIRY_REPORT_INTERVAL = 60.0


class LeaseNotFound(LicensingError):
    """The handle is unknown, already freed, or its lease expired."""

    def __init__(self, handle: str) -> None:
        shown = handle if len(handle) <= 64 else handle[:61] + "..."
        super().__init__(f"no such license handle (unknown, freed or expired): {shown!r}")


class KeyConflict(LicensingError):
    """An idempotency key first used for another product, user or client."""

    def __init__(self) -> None:
        super().__init__(
            "this idempotency key is already in use for another product, user or client: use a new key"
        )


class TooManyLeases(LicensingError):
    """A lease cap is reached; the message names which."""


@dataclass(frozen=True)
class LeaseCaps:
    """How many leases callers may hold: per user and client, and in total (observed leases aside)."""

    per_holder: int = DEFAULT_MAX_PER_HOLDER
    total: int = DEFAULT_MAX_TOTAL


@dataclass
class Lease:
    """A granted license held by a program (or by an observer)."""

    handle: str
    product_id: int
    product: str
    user: str
    client: str
    admin: bool
    licensed: bool
    granted: str
    ttl: float
    expires: float
    key: str | None = None
    observed: str | None = None

    @property
    def holder(self) -> tuple[str, str]:
        """Who holds it, as the caps count: (user, client), case-insensitive."""
        return (self.user.casefold(), self.client.casefold())

    def as_dict(self, now: float) -> dict[str, object]:
        """The API's view of the lease."""
        return {
            "handle": self.handle,
            "product": self.product,
            "user": self.user,
            "client": self.client,
            "admin": self.admin,
            "licensed": self.licensed,
            "granted_at": self.granted,
            "lease_seconds": None if self.observed else self.ttl,
            "expires_in": None if self.expires == NEVER else round(max(0.0, self.expires - now), 3),
            "observed": self.observed,
        }


def checked_key(key: object) -> str | None:
    """An idempotency key as given, or :class:`InvalidInput` when it is not 1 to 128 characters of text."""
    if key is None:
        return None
    if not isinstance(key, str) or not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise InvalidInput(f"idempotency key must be text of 1 to {MAX_IDEMPOTENCY_KEY} characters")
    return key


class LeaseTable:
    """Live leases by handle, the handle each idempotency key was used for, and the caps."""

    def __init__(self, caps: LeaseCaps | None = None) -> None:
        self.caps = caps if caps is not None else LeaseCaps()
        self._leases: dict[str, Lease] = {}
        self._by_key: dict[str, str] = {}
        self._per_holder: dict[tuple[str, str], int] = {}
        self._capped = 0  # leases counted against the caps (not observed)

    def __len__(self) -> int:
        return len(self._leases)

    def __iter__(self) -> Iterator[Lease]:
        return iter(self._leases.values())

    def check_room(self, user: str, client: str) -> None:
        """Raise :class:`TooManyLeases` when a new lease for (user, client) would pass a cap."""
        if self._capped >= self.caps.total:
            raise TooManyLeases(
                f"the service holds its maximum of {self.caps.total} leases: "
                "free or let expire some before asking for more"
            )
        if self._per_holder.get((user.casefold(), client.casefold()), 0) >= self.caps.per_holder:
            raise TooManyLeases(
                f"user {user!r} on client {client!r} already holds the maximum of "
                f"{self.caps.per_holder} leases: free some before asking for more"
            )

    def add(self, lease: Lease) -> None:
        """Keep a new lease (and its idempotency key)."""
        self._leases[lease.handle] = lease
        if lease.key is not None:
            self._by_key[lease.key] = lease.handle
        if lease.observed is None:
            holder = lease.holder
            self._per_holder[holder] = self._per_holder.get(holder, 0) + 1
            self._capped += 1

    def by_key(self, key: str, product_id: int, user: str, client: str) -> Lease | None:
        """The live lease first requested with ``key``, if any; :class:`KeyConflict` when that was
        for another product, user or client."""
        handle = self._by_key.get(key)
        lease = self._leases.get(handle) if handle is not None else None
        if lease is None:
            return None
        if lease.product_id != product_id or lease.holder != (user.casefold(), client.casefold()):
            raise KeyConflict()
        return lease

    def get(self, handle: object) -> Lease:
        """A live lease by handle, or :class:`LeaseNotFound`."""
        lease = self._leases.get(handle) if isinstance(handle, str) else None
        if lease is None:
            raise LeaseNotFound(str(handle))
        return lease

    def pop(self, handle: object) -> Lease:
        """Remove and return a live lease, or :class:`LeaseNotFound`."""
        lease = self.discard(handle)
        if lease is None:
            raise LeaseNotFound(str(handle))
        return lease

    def discard(self, handle: object) -> Lease | None:
        """Remove a lease if it is still live."""
        lease = self._leases.pop(handle, None) if isinstance(handle, str) else None
        if lease is None:
            return None
        if lease.key is not None and self._by_key.get(lease.key) == lease.handle:
            del self._by_key[lease.key]
        if lease.observed is None:
            holder = lease.holder
            left = self._per_holder[holder] - 1
            if left:
                self._per_holder[holder] = left
            else:
                del self._per_holder[holder]
            self._capped -= 1
        return lease

    def take_expired(self, now: float) -> list[Lease]:
        """Remove and return the leases whose holder stopped sending heartbeats."""
        expired = [lease for lease in self._leases.values() if lease.expires <= now]
        for lease in expired:
            self.discard(lease.handle)
        return expired


@dataclass
class _Expired:
    count: int = 0
    users: set[str] = field(default_factory=set)


class ExpiryReport:
    """Expired leases per product, reported at most once per ``interval`` per product with a count."""

    SHOWN_USERS = 5

    def __init__(self, interval: float = EXPIRY_REPORT_INTERVAL) -> None:
        self.interval = interval
        self._pending: dict[str, _Expired] = {}
        self._last: dict[str, float] = {}

    def add(self, expired: list[Lease]) -> None:
        """Note leases that just expired."""
        for lease in expired:
            pending = self._pending.setdefault(lease.product, _Expired())
            pending.count += 1
            if len(pending.users) < self.SHOWN_USERS:
                pending.users.add(lease.user)

    def due(self, now: float) -> list[tuple[int, str, str]]:
        """(count, product, some users) for every product whose report may go out now."""
        reports = []
        for product, pending in list(self._pending.items()):
            last = self._last.get(product)
            if last is not None and now - last < self.interval:
                continue
            users = ", ".join(sorted(pending.users))
            if pending.count > len(pending.users):
                users += ", ..."
            reports.append((pending.count, product, users))
            self._last[product] = now
            del self._pending[product]
        return reports
