"""The answers of the HTTP API as types, for ``GET /v1/openapi.json`` (:mod:`.openapi`).

Most answers already have a type: the store's records (:mod:`applet.store.records`, frozen dataclasses
whose ``as_dict`` is the JSON) are documented straight from their classes. The small answers the routes
put together are dataclasses here, which the routes build and orjson encodes as they are. Two answers
are built by the service's own classes as dicts, a lease (:meth:`applet.service.leases.Lease.as_dict`)
and a product's usage (:meth:`applet.service.product_state.ProductState.as_dict`), on paths that run for
every request; they are described by TypedDicts here rather than converted on the way out.
:mod:`tests.service.test_openapi` runs schemathesis against a real service, which fails when an answer
does not match its type (the document forbids fields a type does not name), so the descriptions are
checked against what the routes send.
"""

from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """Every error: ``status`` repeats the HTTP status; ``error`` is one line for people."""

    error: str
    status: int


@dataclass(frozen=True, slots=True)
class HealthAnswer:
    """Liveness (no counts, no names)."""

    status: Literal["ok"] = "ok"


@dataclass(frozen=True, slots=True)
class HelloAnswer:
    """The service's proof of identity: HMACs of the nonce and port under each token; a client refuses
    a service of another ``api_version``."""

    service: str
    api_version: int
    client_proof: str
    admin_proof: str


class LeaseAnswer(TypedDict):
    """A lease held by a program (or by the service's own observers: ``observed`` says which)."""

    handle: str
    product: str
    user: str
    client: str
    admin: bool
    licensed: bool
    granted_at: str
    lease_seconds: float | None
    expires_in: float | None
    observed: str | None


class GrantedAnswer(LeaseAnswer):
    """A granted license: the lease, and how often to send heartbeats."""

    granted: bool
    heartbeat_seconds: float


@dataclass(frozen=True, slots=True)
class DeniedAnswer:
    """A denied license (not an error: ``granted`` is false, ``reason`` says why)."""

    product: str
    reason: str
    in_use: int
    limit: int
    granted: bool = False


@dataclass(frozen=True, slots=True)
class FreedAnswer:
    """A lease given back."""

    freed: str
    product: str


class ProductUsageAnswer(TypedDict):
    """A product's usage as the service counts it now (the Per Seat figures for Per Seat products)."""

    product_id: int
    product: str
    version: str
    mode: str
    in_use: int
    limit: int
    per_server_licenses: int  # both modes' licenses, whichever is in force (Server Properties shows both)
    per_seat_licenses: int
    peak: int
    requests: int
    denials: int
    observe_tcp_port: int | None
    observe_sessions: bool
    per_seat_allocated: NotRequired[int]
    per_seat_unlicensed_users: NotRequired[int]
    per_seat_needed: NotRequired[int]


class StatusAnswer(TypedDict):
    """The running service: version, process, settings and health figures."""

    status: str
    version: str
    pid: int
    started: str
    url: str | None
    data_dir: str
    config_revision: int
    leases: int
    products: int
    heartbeat_seconds: float
    lease_expiry_seconds: float
    max_lease_seconds: float
    max_leases: int
    max_leases_per_client: int
    violation_interval_seconds: float
    tls: bool
    failed_writes: int
    usage_not_saved_since: str | None
    accept_failures: int
    event_loop: str
    connections: NotRequired[int]
    max_connections: NotRequired[int]
    connections_refused: NotRequired[int]
    idle_connections_closed: NotRequired[int]


@dataclass(frozen=True, slots=True)
class DoneAnswer:
    """An administrative change that has nothing else to say."""

    ok: bool = True


@dataclass(frozen=True, slots=True)
class ClientDeletedAnswer:
    """A client deleted on every product (``products``: how many)."""

    deleted: str
    products: int


@dataclass(frozen=True, slots=True)
class ResetAnswer:
    """A reset done."""

    reset: str


@dataclass(frozen=True, slots=True)
class StoppingAnswer:
    """The service stops after this answer."""

    stopping: bool = True


class BatchAnswer(TypedDict):
    """A master's acknowledgement of a replication batch."""

    acknowledged: int
    duplicate: bool
    rows: int
    master: str
    chain: list[str]


class EnterpriseAnswer(TypedDict):
    """A master: its name, API version, where its enterprise data is kept, how many servers it knows, and
    what changes when anything replicates (batches, the last replication's time)."""

    master: str
    api_version: int
    database: str
    servers: int
    batches: int
    last_replication: str


class EnterpriseRowsAnswer(TypedDict):
    """Rows of License Manager's enterprise views (:mod:`applet.store.enterprise.views`)."""

    rows: list[dict[str, Any]]


class EnterprisePageAnswer(EnterpriseRowsAnswer):
    """A page of rows; ``total`` only when asked for (``count=1``), else null."""

    total: int | None


class ServerProductsAnswer(EnterpriseRowsAnswer):
    """One server's products on a master."""

    server: str


class UsageAnswer(TypedDict):
    """A product's use over the enterprise (:func:`applet.store.enterprise.usage.product_usage`): points
    are ``[bucket start minute, highest use]``; ``servers`` each have ``points`` or null."""

    product: str
    since: int
    until: int
    bucket: int
    server: str | None
    limit: int
    total: list[list[int]]
    servers: list[dict[str, Any]]


class ComplianceReportAnswer(TypedDict):
    """The enterprise's compliance report (:mod:`applet.store.enterprise.compliance`)."""

    master: str
    generated: str
    servers: int
    products: list[dict[str, Any]]


# The answers of the replication routes other than a batch's are the enterprise database's rows and
# a summary of what was sent; they are documented as JSON objects without a fixed set of fields.
JsonObject = dict[str, Any]
