"""Plain records the store returns: rows as frozen dataclasses, with ``as_dict`` for ``--json``.

:class:`ProductRecord` and the :class:`Record` mixin live in :mod:`applet.store.product_record` (the
Licensing applet's first read loads that one dataclass, not all of them: creating a dataclass costs
about half a millisecond, see tests/benchmarks/test_bench_applet.py). Everything but the product
repository imports them from here.
"""

from dataclasses import dataclass

from applet.domain.compliance import Compliance
from applet.domain.ledger import LineKind
from applet.domain.products import LicenseMode
from applet.store.product_record import ProductRecord, Record

__all__ = [
    "ClientSummary",
    "EventRecord",
    "LicenseGroupRecord",
    "ProductRecord",
    "ProductSummary",
    "PurchaseRecord",
    "Record",
    "ReplicationSettings",
    "SeatClientRecord",
    "SeatUsage",
    "ServerRecord",
    "UsageSample",
]


@dataclass(frozen=True)
class PurchaseRecord(Record):
    """One purchase-ledger line (negative quantity for a removal).

    ``kind`` says what the line records; ``certificate`` is the purchase a removal drew from (None for
    a certificate, and for lines that named none: removals from before certificates, the Per Server
    licenses given up on the change to Per Seat); ``remaining`` is what is left on a certificate (None
    for a removal, and where the caller did not ask for it: the paged Purchase History view).
    """

    purchase_id: int
    product: str
    mode: LicenseMode
    quantity: int
    administrator: str
    comment: str
    created: str
    kind: LineKind = LineKind.PURCHASE
    certificate: int | None = None
    remaining: int | None = None


@dataclass(frozen=True)
class ProductSummary(Record):
    """One Products View row: what was bought, what is used, and whether that complies.

    ``per_server_reached`` is the high-water mark since the last reset; ``compliance`` judges it (Per
    Server) or the clients recorded (Per Seat), see :mod:`applet.domain.compliance`. ``in_use`` is the
    clients connected now, which only a running service knows: the store leaves it None and License
    Manager fills it in from the service.
    """

    product_id: int
    name: str
    mode: LicenseMode
    per_seat_purchased: int
    per_seat_allocated: int
    per_seat_unlicensed: int
    per_server_purchased: int
    per_server_reached: int
    compliance: Compliance
    in_use: int | None = None


@dataclass(frozen=True)
class SeatClientRecord(Record):
    """One (user, product) Per Seat usage row."""

    user: str
    product: str
    group: str | None
    first_used: str
    last_used: str
    usage_count: int
    licensed: bool


@dataclass(frozen=True)
class ClientSummary(Record):
    """One Clients (Per Seat) row: a user across products."""

    user: str
    licensed_usage: int
    unlicensed_usage: int
    products: str
    last_used: str


@dataclass(frozen=True)
class SeatUsage:
    """One Per Seat usage update to record (the service decides ``licensed`` at a first use).

    ``licensed_order`` ranks the holder among the licensed ones (see ``applet.domain.counting``); a
    licensed first use without one is ranked after every holder licensed so far.
    """

    product_id: int
    user: str
    when: str
    licensed: bool
    group_id: int | None = None
    count: int = 1
    licensed_order: int | None = None


@dataclass(frozen=True)
class LicenseGroupRecord(Record):
    """A license group: members share ``licenses`` Per Seat licenses."""

    group_id: int
    name: str
    description: str
    licenses: int
    members: tuple[str, ...]
    created: str


@dataclass(frozen=True)
class EventRecord(Record):
    """One logged event."""

    id: int
    event_id: int
    type: str
    source: str
    time: str
    product: str | None
    message: str
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class UsageSample(Record):
    """Per product per minute usage (minute = Unix time // 60)."""

    product_id: int
    minute: int
    max_in_use: int
    requests: int
    denials: int


@dataclass(frozen=True)
class ReplicationSettings(Record):
    """Where and how often license data replicates (the Configure Replication dialog)."""

    master: str  # "domain-controller" | "enterprise-server"
    enterprise_server: str
    frequency: str  # "start-at" | "every"
    start_at: str  # "HH:MM"
    every_hours: int
    changed: str = ""
    administrator: str = ""
    # Counts every change of the settings: a change made at an older revision is refused (two
    # administrators editing one server's schedule: the second is told, nothing is overwritten).
    revision: int = 1


@dataclass(frozen=True)
class ServerRecord(Record):
    """A server known to the enterprise view."""

    server_id: int
    name: str
    site: str
    is_local: bool
    last_seen: str | None
