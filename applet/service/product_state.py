"""One product as the broker counts it: its counters, its Per Seat allocation, its current minute.

Kept apart from :mod:`applet.service.broker` (which decides) so that each stays readable; only the
broker changes these objects, on the service's event-loop thread.
"""

from dataclasses import dataclass

from applet.domain.counting import PerSeatAllocator, PerServerCounter
from applet.domain.products import LicenseMode


@dataclass
class MinuteSample:
    """One product's usage in the current minute, not yet handed to the store."""

    minute: int
    max_in_use: int
    requests: int = 0
    denials: int = 0


@dataclass
class ProductState:
    """One product as the broker counts it."""

    product_id: int
    name: str
    version: str
    mode: LicenseMode
    revision: int
    counter: PerServerCounter
    allocator: PerSeatAllocator | None
    per_seat_licenses: int
    observe_tcp_port: int | None
    observe_sessions: bool
    active: bool = True
    requests: int = 0
    denials: int = 0
    peak_dirty: bool = False
    # The last Per Seat user whose first use found no license (event 201), repeated while unlicensed.
    unlicensed_user: str | None = None
    sample: MinuteSample | None = None

    @property
    def limit(self) -> int:
        """Licenses held in the current mode."""
        return self.counter.limit if self.mode is LicenseMode.PER_SERVER else self.per_seat_licenses

    def display_name(self, version: str | None = None) -> str:
        """``<product> <version>`` as the original's events named products; the caller's version wins."""
        return f"{self.name} {version or self.version}".strip()

    def as_dict(self) -> dict[str, object]:
        """The API's per-product usage."""
        data: dict[str, object] = {
            "product_id": self.product_id,
            "product": self.name,
            "version": self.version,
            "mode": self.mode.value,
            "in_use": self.counter.in_use,
            "limit": self.limit,
            "per_server_licenses": self.counter.limit,
            "per_seat_licenses": self.per_seat_licenses,
            "peak": self.counter.peak,
            "requests": self.requests,
            "denials": self.denials,
            "observe_tcp_port": self.observe_tcp_port,
            "observe_sessions": self.observe_sessions,
        }
        if self.allocator is not None:
            data["per_seat_allocated"] = self.allocator.allocated
            data["per_seat_unlicensed_users"] = self.allocator.unlicensed_users
            data["per_seat_needed"] = self.allocator.needed
        return data


def describe(state: ProductState) -> str:
    """Words for a product's configuration, for event 232."""
    if state.mode is LicenseMode.PER_SERVER:
        return f"Per Server, {state.counter.limit} concurrent connections"
    return f"Per Seat, {state.per_seat_licenses} licenses"
