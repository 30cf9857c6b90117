"""Leases: the licenses programs (and observers) hold, by handle and by idempotency key.

A grant is a *lease*: it expires unless renewed by a heartbeat, so a crashed program never holds a
license forever. A request repeated with the same idempotency key returns the same lease. The
:class:`LeaseTable` only keeps the leases; counting them against the licenses is the broker's job
(:mod:`applet.service.broker`). Runs on the service's event-loop thread; times are monotonic seconds.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from applet.domain.errors import InvalidInput, LicensingError

MAX_IDEMPOTENCY_KEY = 128
NEVER = float("inf")


class LeaseNotFound(LicensingError):
    """The handle is unknown, already freed, or its lease expired."""

    def __init__(self, handle: str) -> None:
        shown = handle if len(handle) <= 64 else handle[:61] + "..."
        super().__init__(f"no such license handle (unknown, freed or expired): {shown!r}")


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
    """Live leases by handle, and the handle each idempotency key was used for."""

    def __init__(self) -> None:
        self._leases: dict[str, Lease] = {}
        self._by_key: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._leases)

    def __iter__(self) -> Iterator[Lease]:
        return iter(self._leases.values())

    def add(self, lease: Lease) -> None:
        """Keep a new lease (and its idempotency key)."""
        self._leases[lease.handle] = lease
        if lease.key is not None:
            self._by_key[lease.key] = lease.handle

    def by_key(self, key: str) -> Lease | None:
        """The live lease first requested with ``key``, if any."""
        handle = self._by_key.get(key)
        return self._leases.get(handle) if handle is not None else None

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
        if lease is not None and lease.key is not None and self._by_key.get(lease.key) == lease.handle:
            del self._by_key[lease.key]
        return lease

    def take_expired(self, now: float) -> list[Lease]:
        """Remove and return the leases whose holder stopped sending heartbeats."""
        expired = [lease for lease in self._leases.values() if lease.expires <= now]
        for lease in expired:
            self.discard(lease.handle)
        return expired
