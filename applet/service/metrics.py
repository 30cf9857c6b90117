"""``GET /metrics``: the service's counters in the Prometheus text format (version 0.0.4).

Everything is answered from memory, on the event loop, without waiting on the store: a scrape while
the store is locked (a long writer, a backup) still answers at once. Per product: licenses purchased,
in use, peak, unlicensed, requests and denials; for the service: leases held, lease expiries, store
write failures, the age of the last successful replication to the master, and a histogram of request
latency per API route.

Who may read it: callers on loopback without a token; from elsewhere only when the service runs with
``--metrics`` (scrapers rarely carry secrets), or with the admin token. The last replication time lives
in the store; it is read in the background at most every :data:`REPLICATION_REFRESH` seconds and the
scrape shows the value last read (no sample until one was read, or when this server never replicated).
"""

import asyncio
import bisect
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from applet.domain.products import LicenseMode
from applet.domain.replication import is_loopback
from applet.service.tokens import Role
from applet.store.outbox import REMOTE

if TYPE_CHECKING:
    from applet.service.api.http import ApiContext, Handler

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Upper bounds of the latency buckets, in seconds (a license request is expected well under 10 ms).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REPLICATION_REFRESH = 10.0
LAST_SUCCESS = REMOTE + "last_success"


class LatencyHistogram:
    """Request durations per route: bucket counts, sum and count (cumulated when rendered)."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self._routes: dict[str, list[float]] = {}  # route -> [count per bucket..., +Inf count, sum]

    def observe(self, route: str, seconds: float) -> None:
        """Count one request of ``route`` that took ``seconds``."""
        slots = self._routes.get(route)
        if slots is None:
            slots = self._routes[route] = [0.0] * (len(self.buckets) + 2)
        slots[bisect.bisect_left(self.buckets, seconds)] += 1
        slots[-1] += seconds

    def lines(self, name: str) -> Iterable[str]:
        """The histogram's sample lines."""
        for route in sorted(self._routes):
            slots = self._routes[route]
            label = f'route="{escape(route)}"'
            running = 0.0
            for bound, count in zip((*self.buckets, float("inf")), slots, strict=False):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                yield f'{name}_bucket{{{label},le="{le}"}} {running:.0f}'
            yield f"{name}_sum{{{label}}} {slots[-1]!r}"
            yield f"{name}_count{{{label}}} {running:.0f}"


class ReplicationAge:
    """The last successful replication, read from the store in the background (see the module doc)."""

    def __init__(self) -> None:
        self.last_success: datetime | None = None
        self._read_at = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    def refresh(self, service: "ApiContext") -> None:
        """Start a background read when the value is stale and none is running; never waits."""
        now = time.monotonic()
        if self._reading is not None or now - self._read_at < REPLICATION_REFRESH:
            return
        self._read_at = now
        self._reading = asyncio.get_running_loop().create_task(self._read(service))

    async def _read(self, service: "ApiContext") -> None:
        try:
            text = await service.worker.read(lambda store: store.setting(LAST_SUCCESS))
            self.last_success = datetime.fromisoformat(text) if text else None
        except Exception:  # a locked or broken store: keep the last value, try again later
            pass
        finally:
            self._reading = None

    def seconds(self) -> float | None:
        """Seconds since the last successful replication, or None when unknown."""
        if self.last_success is None:
            return None
        return max(0.0, (datetime.now(UTC) - self.last_success).total_seconds())


def escape(value: str) -> str:
    """A label value as the text format wants it (backslash, double quote and newline escaped)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def may_read(remote: str | None, enabled: bool, role: Role | None) -> bool:
    """Loopback callers always; others when metrics are enabled (``--metrics``) or with the admin token."""
    return (remote is not None and is_loopback(remote)) or enabled or role is Role.ADMIN


def render(service: "ApiContext", latency: LatencyHistogram, replication_age: float | None) -> str:
    """The exposition text."""
    out: list[str] = []

    def family(name: str, kind: str, help_text: str, samples: Iterable[str]) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(samples)

    states = service.broker.products
    labels = [f'product="{escape(state.name)}",mode="{state.mode.value}"' for state in states]

    def per_product(name: str, values: Iterable[object]) -> list[str]:
        return [f"{name}{{{label}}} {value}" for label, value in zip(labels, values, strict=True)]

    unlicensed = [
        (state.allocator.unlicensed_users if state.allocator is not None else 0)
        if state.mode is LicenseMode.PER_SEAT
        else max(0, state.counter.in_use - state.counter.limit)
        for state in states
    ]
    family(
        "lls_licenses_purchased",
        "gauge",
        "Licenses held in the product's current mode (the sum of the purchase ledger).",
        per_product("lls_licenses_purchased", (state.limit for state in states)),
    )
    family(
        "lls_licenses_in_use",
        "gauge",
        "Clients using the product now (one client counts once).",
        per_product("lls_licenses_in_use", (state.counter.in_use for state in states)),
    )
    family(
        "lls_licenses_peak",
        "gauge",
        "The highest number of clients that used the product at once.",
        per_product("lls_licenses_peak", (state.counter.peak for state in states)),
    )
    family(
        "lls_licenses_unlicensed",
        "gauge",
        "Usage beyond the licenses: Per Seat users without a license, Per Server clients over the limit.",
        per_product("lls_licenses_unlicensed", unlicensed),
    )
    family(
        "lls_license_requests_total",
        "counter",
        "License requests since the service started.",
        per_product("lls_license_requests_total", (state.requests for state in states)),
    )
    family(
        "lls_license_denials_total",
        "counter",
        "License requests denied since the service started (event 201).",
        per_product("lls_license_denials_total", (state.denials for state in states)),
    )
    family(
        "lls_leases",
        "gauge",
        "Licenses held now (leases), observed ones included.",
        [f"lls_leases {service.broker.lease_count}"],
    )
    family(
        "lls_lease_expiries_total",
        "counter",
        "Leases reclaimed because their holder stopped sending heartbeats.",
        [f"lls_lease_expiries_total {service.broker.expired_leases}"],
    )
    family(
        "lls_store_write_failures_total",
        "counter",
        "Batches of usage and events the store refused (kept and retried).",
        [f"lls_store_write_failures_total {service.worker.failed_writes}"],
    )
    family(
        "lls_replication_age_seconds",
        "gauge",
        "Seconds since the last successful replication to the master (absent when it never replicated).",
        [] if replication_age is None else [f"lls_replication_age_seconds {replication_age:.3f}"],
    )
    family(
        "lls_http_request_duration_seconds",
        "histogram",
        "Time to answer API requests, per route.",
        latency.lines("lls_http_request_duration_seconds"),
    )
    out.append("")
    return "\n".join(out)


LATENCY = web.AppKey("lls_latency", LatencyHistogram)
REPLICATION = web.AppKey("lls_replication_age", ReplicationAge)


@web.middleware
async def timed(request: web.Request, handler: "Handler") -> web.StreamResponse:
    """Count every answered request in the latency histogram, by route template."""
    start = time.perf_counter()
    try:
        return await handler(request)
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[LATENCY].observe(route, time.perf_counter() - start)


async def metrics(request: web.Request) -> web.Response:
    """``GET /metrics``."""
    from applet.service.api.http import SERVICE  # the api package imports this module

    service = request.app[SERVICE]
    role = service.tokens.role(request.headers.get("Authorization"))
    if not may_read(request.remote, service.settings.metrics, role):
        raise web.HTTPForbidden(
            reason="metrics are served off loopback only when the service runs with --metrics "
            "(or with the admin token)"
        )
    replication = request.app[REPLICATION]
    replication.refresh(service)
    text = render(service, request.app[LATENCY], replication.seconds())
    return web.Response(body=text.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE})


def add_routes(app: web.Application) -> None:
    """Register ``/metrics`` and the latency middleware (outermost, so error answers are timed too)."""
    app[LATENCY] = LatencyHistogram()
    app[REPLICATION] = ReplicationAge()
    app.middlewares.insert(0, timed)
    app.router.add_get("/metrics", metrics)
