"""The HTTP/JSON API (aiohttp), version 1. Every route except ``/v1/health`` and ``/v1/hello`` (the
service's proof of identity, :mod:`applet.domain.proof`) needs a bearer token.

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
Admin: ``GET /v1/leases`` and ``/v1/admin/...`` (see :data:`ROUTES`); License Manager's enterprise
view on a master, ``GET /v1/enterprise/...`` (:mod:`.enterprise`).

The routes are grouped by concern: :mod:`.licenses` (license-aware programs), :mod:`.reading`,
:mod:`.admin` (the administrative operations); :mod:`.http` holds what they share (answers, errors,
body and query parsing, the role check) and :class:`~.http.ApiContext`, the narrow view of the running
service they get, so that the API never imports the runner. :data:`ROUTES` is the one table of
method, path, handler and the role each route needs.
"""

from typing import NamedTuple

from aiohttp import web

from applet.domain.proof import HELLO_PATH
from applet.service.api import admin, enterprise, licenses, reading
from applet.service.api.http import MAX_BODY, SERVICE, ApiContext, Handler, json_errors, require_role
from applet.service.metrics import add_routes as add_metrics_routes
from applet.service.replication import add_routes as add_replication_routes
from applet.service.tokens import Role


class Route(NamedTuple):
    """One route: ``role`` is the token it needs (None: no token, for probes and the proof)."""

    method: str
    path: str
    handler: Handler
    role: Role | None


CLIENT, ADMIN = Role.CLIENT, Role.ADMIN

ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/health", licenses.health, None),
    Route("GET", HELLO_PATH, licenses.hello, None),
    Route("POST", "/v1/licenses", licenses.request_license, CLIENT),
    Route("GET", "/v1/licenses/{handle}", licenses.show_lease, CLIENT),
    Route("DELETE", "/v1/licenses/{handle}", licenses.free, CLIENT),
    Route("POST", "/v1/licenses/{handle}/free", licenses.free, CLIENT),
    Route("POST", "/v1/licenses/{handle}/heartbeat", licenses.heartbeat, CLIENT),
    Route("GET", "/v1/leases", licenses.list_leases, ADMIN),
    Route("GET", "/v1/status", reading.status, CLIENT),
    Route("GET", "/v1/products", reading.products, CLIENT),
    Route("GET", "/v1/products/{name}", reading.product, CLIENT),
    Route("GET", "/v1/products/{name}/samples", reading.samples, CLIENT),
    Route("GET", "/v1/events", reading.events, CLIENT),
    Route("GET", "/v1/clients", reading.clients, CLIENT),
    Route("GET", "/v1/history", reading.history, CLIENT),
    Route("POST", "/v1/admin/products", admin.add_product, ADMIN),
    Route("GET", "/v1/admin/products/{name}", admin.product_record, ADMIN),
    Route("DELETE", "/v1/admin/products/{name}", admin.remove_product, ADMIN),
    Route("POST", "/v1/admin/products/{name}/licenses", admin.add_licenses, ADMIN),
    Route("POST", "/v1/admin/products/{name}/licenses/remove", admin.remove_licenses, ADMIN),
    Route("POST", "/v1/admin/products/{name}/mode", admin.change_mode, ADMIN),
    Route("POST", "/v1/admin/products/{name}/observe", admin.observe, ADMIN),
    Route("DELETE", "/v1/admin/clients/{user}", admin.delete_client, ADMIN),
    Route("POST", "/v1/admin/groups", admin.add_group, ADMIN),
    Route("DELETE", "/v1/admin/groups/{name}", admin.remove_group, ADMIN),
    Route("POST", "/v1/admin/groups/{name}/members", admin.group_members, ADMIN),
    Route("POST", "/v1/admin/groups/{name}", admin.update_group, ADMIN),
    Route("GET", "/v1/groups", reading.groups, CLIENT),
    Route("GET", "/v1/replication", reading.replication, CLIENT),
    Route("POST", "/v1/admin/replication", admin.set_replication, ADMIN),
    Route("POST", "/v1/admin/reset", admin.reset, ADMIN),
    Route("POST", "/v1/admin/shutdown", admin.shutdown, ADMIN),
    Route("GET", "/v1/enterprise", enterprise.summary, ADMIN),
    Route("GET", "/v1/enterprise/purchases", enterprise.purchases, ADMIN),
    Route("GET", "/v1/enterprise/products", enterprise.products, ADMIN),
    Route("GET", "/v1/enterprise/clients", enterprise.clients, ADMIN),
    Route("GET", "/v1/enterprise/servers", enterprise.servers, ADMIN),
    Route("GET", "/v1/enterprise/servers/{name}/products", enterprise.server_products, ADMIN),
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
    add_replication_routes(app)
    add_metrics_routes(app)
    return app
