"""The HTTP/JSON API (aiohttp), version 1. Every route except ``/v1/health``, ``/v1/hello`` (the
service's proof of identity, :mod:`applet.domain.proof`) and ``/v1/openapi.json`` (this API's OpenAPI
3.1 document, :mod:`.openapi`) needs a bearer token.

Client token (``client.token``): request, heartbeat, free and read. Admin token (``admin.token``):
everything, including the administrative operations of the ``lls`` command. A missing or wrong token
is 401, a client token on an admin route 403. Errors are JSON ``{"error": "...", "status": N}``:
400 bad input, 404 unknown product/handle/route, 405, 409 a rule refused the change (or an idempotency
key first used by another caller), 413 a body over 64 KiB, 429 a lease cap is reached, 503 the store
is unavailable. A denied license is not an error: ``200 {"granted": false}``.

License-aware programs::

    POST   /v1/licenses                   {"product", "user", "version"?, "client"?, "admin"?,
                                           "idempotency_key"?, "lease_seconds"?}
    POST   /v1/licenses/{handle}/heartbeat
    DELETE /v1/licenses/{handle}          (also POST /v1/licenses/{handle}/free)
    GET    /v1/licenses/{handle}

Reading: ``GET /v1/status``, ``/v1/products``, ``/v1/products/{name}``,
``/v1/products/{name}/samples?since_minute=``, ``/v1/events?after_id=&product=&since=&limit=``,
``/v1/clients?product=``, ``/v1/history?product=``, ``/v1/groups``, ``/v1/replication``.
Admin: ``GET /v1/leases`` and ``/v1/admin/...`` (see :data:`ROUTES`).

The routes are grouped by concern: :mod:`.licenses` (license-aware programs), :mod:`.reading`,
:mod:`.admin` (the administrative operations); :mod:`.http` holds what they share (answers, errors,
body and query parsing, the role check) and :class:`~.http.ApiContext`, the narrow view of the running
service they get, so that the API never imports the runner. :data:`ROUTES` is the one table of
method, path, handler and the role each route needs, with the types of its body (:mod:`.bodies`,
checked at the edge), its answer (:mod:`.answers`, the store's records) and its query parameters, from
which :mod:`.openapi` generates the document; :data:`OTHER_ROUTES` describes the routes the replication
and metrics modules register themselves.
"""

from typing import Annotated

from aiohttp import web
from msgspec import Meta

from applet.domain.proof import HELLO_PATH
from applet.service import metrics, replication
from applet.service.api import admin, bodies, enterprise, licenses, reading
from applet.service.api.answers import (
    BatchAnswer,
    ClientDeletedAnswer,
    ComplianceReportAnswer,
    DeniedAnswer,
    EnterpriseAnswer,
    EnterprisePageAnswer,
    EnterpriseRowsAnswer,
    FreedAnswer,
    GrantedAnswer,
    HealthAnswer,
    HelloAnswer,
    JsonObject,
    LeaseAnswer,
    ProductUsageAnswer,
    ResetAnswer,
    ServerProductsAnswer,
    StatusAnswer,
    StoppingAnswer,
    UsageAnswer,
)
from applet.service.api.http import (
    MAX_BODY,
    MAX_LIST,
    SERVICE,
    ApiContext,
    Handler,
    json_errors,
    require_role,
)
from applet.service.api.openapi import JSON, OPENAPI_PATH, Query, Route, document_bytes
from applet.service.tokens import Role
from applet.store.records import (
    EventRecord,
    LicenseGroupRecord,
    ProductRecord,
    PurchaseRecord,
    ReplicationSettings,
    SeatClientRecord,
    UsageSample,
)

__all__ = ["ROUTES", "Query", "Route", "build_app"]

CLIENT, ADMIN = Role.CLIENT, Role.ADMIN

LIMIT = Query("limit", Annotated[int, Meta(ge=1, le=MAX_LIST)], "At most this many rows (default 1,000).")
PRODUCT = Query("product", str, "Only this product.")
DATABASE = Query("database", str, "Refuse (409) unless this is where the enterprise data is kept.")
# License Manager's enterprise pages (applet/service/api/enterprise.py).
YES_NO = Annotated[str, Meta(pattern="^(0|1|true|false)?$")]
FILTER_TEXT = Annotated[str, Meta(max_length=enterprise.MAX_FILTER)]
PAGE = (
    Query("sort", str, "Sort key (the view's columns)."),
    Query("descending", YES_NO, "1 or true: descending."),
    Query("filter", FILTER_TEXT, "Only rows containing this."),
    Query("offset", Annotated[int, Meta(ge=0)], "Skip this many rows."),
    Query("limit", Annotated[int, Meta(ge=1, le=MAX_LIST)], "At most this many rows (default 200)."),
    Query("count", YES_NO, "1 or true: count the rows (total), else total is null."),
)
# A service that is not a master answers 404; the enterprise database out of reach, 503.
ENTERPRISE_ERRORS = (404, 503)
# What an administrative change can answer besides bad input: unknown names, refusals, the store.
CHANGE_ERRORS = (404, 409, 503)


async def openapi_document(request: web.Request) -> web.Response:
    """``GET /v1/openapi.json`` (no token: see :mod:`.openapi`)."""
    return web.Response(body=document_bytes(ROUTES + OTHER_ROUTES), content_type=JSON)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/health", licenses.health, None, "Liveness, for probes", answer=HealthAnswer),
    Route(
        "GET",
        HELLO_PATH,
        licenses.hello,
        None,
        "The service's proof of identity, checked by clients before they send a token",
        answer=HelloAnswer,
        query=(
            Query(
                "nonce",
                Annotated[str, Meta(pattern="^[0-9a-f]{32,128}$")],
                "32 to 128 lowercase hexadecimal digits",
                required=True,
            ),
        ),
    ),
    Route("GET", OPENAPI_PATH, openapi_document, None, "This document", answer=JsonObject),
    Route(
        "POST",
        "/v1/licenses",
        licenses.request_license,
        CLIENT,
        "Request a license (a denial is 200 with granted false)",
        body=bodies.LicenseRequestBody,
        answer=(GrantedAnswer, DeniedAnswer),
        errors=(404, 409, 429, 503),
    ),
    Route("GET", "/v1/licenses/{handle}", licenses.show_lease, CLIENT, "A lease", answer=LeaseAnswer),
    Route("DELETE", "/v1/licenses/{handle}", licenses.free, CLIENT, "Free a license", answer=FreedAnswer),
    Route(
        "POST",
        "/v1/licenses/{handle}/free",
        licenses.free,
        CLIENT,
        "Free a license (for clients that cannot send DELETE)",
        answer=FreedAnswer,
    ),
    Route(
        "POST",
        "/v1/licenses/{handle}/heartbeat",
        licenses.heartbeat,
        CLIENT,
        "Keep a lease alive",
        answer=LeaseAnswer,
    ),
    Route(
        "GET",
        "/v1/leases",
        licenses.list_leases,
        ADMIN,
        "Every lease held now",
        answer=list[LeaseAnswer],
        query=(LIMIT,),
    ),
    Route("GET", "/v1/status", reading.status, CLIENT, "The running service", answer=StatusAnswer),
    Route(
        "GET",
        "/v1/products",
        reading.products,
        CLIENT,
        "Every product's usage now",
        answer=list[ProductUsageAnswer],
    ),
    Route(
        "GET",
        "/v1/products/{name}",
        reading.product,
        CLIENT,
        "A product's usage now",
        answer=ProductUsageAnswer,
    ),
    Route(
        "GET",
        "/v1/products/{name}/samples",
        reading.samples,
        CLIENT,
        "A product's usage per minute",
        answer=list[UsageSample],
        query=(Query("since_minute", int, "Only minutes from this one (minutes since the epoch)."),),
        errors=(503,),
    ),
    Route(
        "GET",
        "/v1/events",
        reading.events,
        CLIENT,
        "The service's events, oldest first",
        answer=list[EventRecord],
        query=(
            Query("after_id", int, "Only events after this id."),
            PRODUCT,
            Query("since", str, "Only events from this time on (ISO 8601)."),
            LIMIT,
        ),
        errors=(404, 503),
    ),
    Route(
        "GET",
        "/v1/clients",
        reading.clients,
        CLIENT,
        "Per Seat clients",
        answer=list[SeatClientRecord],
        query=(PRODUCT, LIMIT),
        errors=(404, 503),
    ),
    Route(
        "GET",
        "/v1/history",
        reading.history,
        CLIENT,
        "The purchase history",
        answer=list[PurchaseRecord],
        query=(PRODUCT, LIMIT),
        errors=(404, 503),
    ),
    Route(
        "POST",
        "/v1/admin/products",
        admin.add_product,
        ADMIN,
        "Register a product",
        body=bodies.ProductAddBody,
        answer=ProductRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/admin/products/{name}",
        admin.product_record,
        ADMIN,
        "A product as stored, with its revision",
        answer=ProductRecord,
        errors=(503,),
    ),
    Route(
        "GET",
        "/v1/admin/products/{name}/certificates",
        admin.certificates,
        ADMIN,
        "The certificates with licenses left, newest first (Remove Licenses)",
        answer=list[PurchaseRecord],
        query=(Query("mode", str, "per-server (default) or per-seat."),),
        errors=(400, 404, 503),
    ),
    Route(
        "DELETE",
        "/v1/admin/products/{name}",
        admin.remove_product,
        ADMIN,
        "Unregister a product",
        body=bodies.AdminBody,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/products/{name}/licenses",
        admin.add_licenses,
        ADMIN,
        "Add licenses",
        body=bodies.LicensesAddBody,
        answer=PurchaseRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/products/{name}/licenses/remove",
        admin.remove_licenses,
        ADMIN,
        "Remove licenses",
        body=bodies.LicensesRemoveBody,
        answer=list[PurchaseRecord],
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/products/{name}/mode",
        admin.change_mode,
        ADMIN,
        "Change to Per Seat (one-way)",
        body=bodies.ModeChangeBody,
        answer=ProductRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/products/{name}/observe",
        admin.observe,
        ADMIN,
        "Choose what the service observes",
        body=bodies.ObserveBody,
        answer=ProductRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "DELETE",
        "/v1/admin/clients/{user}",
        admin.delete_client,
        ADMIN,
        "Delete a client on every product",
        body=bodies.AdminBody,
        answer=ClientDeletedAnswer,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/groups",
        admin.add_group,
        ADMIN,
        "Create a license group",
        body=bodies.GroupAddBody,
        answer=LicenseGroupRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "DELETE",
        "/v1/admin/groups/{name}",
        admin.remove_group,
        ADMIN,
        "Delete a license group",
        body=bodies.AdminBody,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/groups/{name}/members",
        admin.group_members,
        ADMIN,
        "Add or remove group members",
        body=bodies.GroupMembersBody,
        answer=LicenseGroupRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/groups/{name}",
        admin.update_group,
        ADMIN,
        "Change a license group",
        body=bodies.GroupUpdateBody,
        answer=LicenseGroupRecord,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/groups",
        reading.groups,
        CLIENT,
        "License groups",
        answer=list[LicenseGroupRecord],
        errors=(503,),
    ),
    Route(
        "GET",
        "/v1/replication",
        reading.replication,
        CLIENT,
        "Replication settings",
        answer=ReplicationSettings,
        errors=(503,),
    ),
    Route(
        "POST",
        "/v1/admin/replication",
        admin.set_replication,
        ADMIN,
        "Change the replication settings",
        body=bodies.ReplicationBody,
        answer=ReplicationSettings,
        errors=CHANGE_ERRORS,
    ),
    Route(
        "POST",
        "/v1/admin/reset",
        admin.reset,
        ADMIN,
        "Reset usage, groups or history",
        body=bodies.ResetBody,
        answer=ResetAnswer,
        errors=CHANGE_ERRORS,
    ),
    Route("POST", "/v1/admin/shutdown", admin.shutdown, ADMIN, "Stop the service", answer=StoppingAnswer),
    Route(
        "GET",
        "/v1/enterprise",
        enterprise.summary,
        ADMIN,
        "This master",
        answer=EnterpriseAnswer,
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/purchases",
        enterprise.purchases,
        ADMIN,
        "Every server's purchases, a page",
        answer=EnterprisePageAnswer,
        query=(
            *PAGE,
            Query("server", Annotated[str, Meta(max_length=enterprise.MAX_FILTER)], "Only this server."),
        ),
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/products",
        enterprise.products,
        ADMIN,
        "Products, in total and per server",
        answer=EnterpriseRowsAnswer,
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/clients",
        enterprise.clients,
        ADMIN,
        "Per Seat clients of every server, a page",
        answer=EnterprisePageAnswer,
        query=PAGE,
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/servers",
        enterprise.servers,
        ADMIN,
        "The servers that replicate here",
        answer=EnterpriseRowsAnswer,
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/servers/{name}/products",
        enterprise.server_products,
        ADMIN,
        "One server's products",
        answer=ServerProductsAnswer,
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/products/{name}/usage",
        enterprise.product_usage,
        ADMIN,
        "A product's use over the enterprise: in total, per server",
        answer=UsageAnswer,
        query=(
            Query("since", str, "From this time: ISO 8601 or minutes since 1970 (default: 24 hours ago)."),
            Query("until", str, "Until this time: ISO 8601 or minutes since 1970 (default: now)."),
            Query("bucket", Annotated[int, Meta(ge=1, le=10080)], "At least this many minutes a point."),
            Query("server", FILTER_TEXT, "Only this server."),
            Query("top", Annotated[int, Meta(ge=0, le=20)], "Lines for this many servers (default 5)."),
        ),
        errors=ENTERPRISE_ERRORS,
    ),
    Route(
        "GET",
        "/v1/enterprise/report",
        enterprise.report,
        ADMIN,
        "The compliance report of the enterprise, per product and per server",
        answer=ComplianceReportAnswer,
        errors=ENTERPRISE_ERRORS,
    ),
)

# Routes that other modules register (:func:`applet.service.replication.add_routes`,
# :func:`applet.service.metrics.add_routes`, each with its own checks): in the document, not in
# :func:`build_app`'s loop.
OTHER_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/v1/replication/batches",
        replication.receive_batch,
        None,
        "A replication batch from an enrolled server (Authorization: Bearer <that server's secret>)",
        body=JsonObject,  # the batch document: applet.domain.replication checks it
        answer=BatchAnswer,
        errors=(400, 401, 409, 413, 503),
    ),
    Route(
        "POST",
        "/v1/admin/replication/now",
        replication.replicate_now,
        ADMIN,
        "Replicate to the master now",
        answer=JsonObject,
        errors=(409, 502, 503),
    ),
    Route(
        "GET",
        "/v1/admin/enterprise/{which}",
        replication.enterprise_report,
        ADMIN,
        "The enterprise database's products, clients, servers or compliance report (which: products, "
        "clients, servers, report)",
        answer=list[JsonObject],
        query=(
            Query("database", str, "Refuse (409) unless this is the enterprise database."),
            PRODUCT,
            LIMIT,
        ),
        errors=(409, 503),
    ),
    Route(
        "GET",
        "/metrics",
        metrics.metrics,
        None,
        "Prometheus metrics: from loopback, or from anywhere with --metrics or the admin token",
        answer=str,
        errors=(403,),
        content_type="text/plain",
    ),
)


def guarded(handler: Handler, role: Role | None) -> Handler:
    """``handler`` behind the role check (401 without a valid token, 403 a client token on admin)."""
    if role is None:
        return handler

    async def checked(request: web.Request) -> web.StreamResponse:
        require_role(request, role)
        return await handler(request)

    return checked


def build_app(service: ApiContext) -> web.Application:
    """The aiohttp application serving ``service``."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[json_errors])
    app[SERVICE] = service
    for route in ROUTES:
        app.router.add_route(route.method, route.path, guarded(route.handler, route.role))
    replication.add_routes(app)
    metrics.add_routes(app)
    return app
