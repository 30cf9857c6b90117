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
Admin: ``GET /v1/leases`` and ``/v1/admin/...`` (see :func:`build_app`).
"""

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from applet.domain.errors import (
    InsufficientLicenses,
    InvalidInput,
    LicensingError,
    ModeChangeRefused,
    UnknownProduct,
)
from applet.domain.products import LicenseMode
from applet.domain.proof import HELLO_PATH, service_proof, valid_nonce
from applet.domain.validation import clean_name
from applet.service.broker import Denial
from applet.service.leases import KeyConflict, LeaseNotFound, TooManyLeases
from applet.service.logs import log
from applet.service.replication import add_routes as add_replication_routes
from applet.service.settings import positive_seconds
from applet.service.tokens import Role
from applet.store import StoreError
from applet.store.products import ConcurrentChange
from applet.store.records import ReplicationSettings

if TYPE_CHECKING:
    from applet.service.runner import Service

MAX_BODY = 64 * 1024
MAX_LIST = 10_000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_JSON = "application/json"


def reply(data: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.Response(body=encode(data), status=status, content_type=_JSON)


def encode(data: Any) -> bytes:
    """JSON bytes of an answer (orjson: the encoding was a fifth of a request's time with json)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


async def read_rows(service: "Service", query: Callable[[Any], Any]) -> web.Response:
    """Rows from the store, read and encoded on the reader thread (see :mod:`applet.service.worker`)."""

    def run(store: Any) -> bytes:
        rows = query(store)
        return encode(rows.as_dict() if hasattr(rows, "as_dict") else [row.as_dict() for row in rows])

    return web.Response(body=await service.worker.read(run), content_type=_JSON)


def error_reply(status: int, message: str) -> web.Response:
    """A JSON error."""
    return reply({"error": message, "status": status}, status)


def status_of(error: LicensingError) -> int:
    """HTTP status for a rule violation or bad input."""
    if isinstance(error, LeaseNotFound | UnknownProduct):
        return 404
    if isinstance(error, ModeChangeRefused | InsufficientLicenses | ConcurrentChange | KeyConflict):
        return 409
    if isinstance(error, TooManyLeases):
        return 429
    return 400


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a JSON error; a bug is logged and answered 500 without details."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = error.reason
        if error.status == 413:
            message = f"request body larger than {MAX_BODY // 1024} KiB"
        elif error.status == 404:
            message = f"no such API route: {request.method} {request.path}"
        return error_reply(error.status, message)
    except LicensingError as error:
        return error_reply(status_of(error), " ".join(str(error).split()))
    except StoreError as error:
        return error_reply(503, f"the store is unavailable: {error}")
    except sqlite3.Error as error:  # one the store did not translate: still the store, not a bug
        return error_reply(503, f"the store is unavailable: {' '.join(str(error).split())}")
    except Exception as error:
        # A bug: keep the details in the service's log (one line, rate-limited), not in the answer.
        log.error(
            "internal error on %s %s: %s: %s", request.method, request.path, type(error).__name__, error
        )
        return error_reply(500, "internal error of the License Logging service (see its log)")


def _role(request: web.Request, needed: Role) -> None:
    service: Service = request.app["service"]
    role = service.tokens.role(request.headers.get("Authorization"))
    if role is None:
        raise web.HTTPUnauthorized(reason="missing or wrong token (Authorization: Bearer <token>)")
    if needed is Role.ADMIN and role is not Role.ADMIN:
        raise web.HTTPForbidden(reason="this operation needs the admin token")


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        # orjson refuses NaN and Infinity, invalid UTF-8, and nesting deeper than 1,024 levels.
        detail = "nested too deeply" if "depth" in str(error).lower() else "not valid JSON"
        raise InvalidInput(f"the body is {detail}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return data


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{key} must be true or false")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be text")
    return value


def _int_query(request: web.Request, key: str, default: int | None = None) -> int | None:
    text = request.query.get(key)
    if text is None or text == "":
        return default
    if not text.lstrip("-").isdigit() or len(text) > 18:
        raise InvalidInput(f"{key} must be a whole number")
    return int(text)


def _limit(request: web.Request, default: int = 1000) -> int:
    value = _int_query(request, "limit", default)
    assert value is not None
    if not 1 <= value <= MAX_LIST:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIST}")
    return value


def _administrator(data: dict[str, Any]) -> str:
    value = data.get("administrator")
    return clean_name(value, "administrator") if value is not None else "api"


# ---------------------------------------------------------------------------- license routes


async def health(request: web.Request) -> web.Response:
    """Liveness without a token (for probes): no counts, no names."""
    return reply({"status": "ok"})


async def hello(request: web.Request) -> web.Response:
    """The proof of identity a client checks before it sends a token (no token needed)."""
    service: Service = request.app["service"]
    nonce = request.query.get("nonce", "")
    if not valid_nonce(nonce):
        raise InvalidInput("nonce must be 32 to 128 lowercase hexadecimal digits")
    # The port this connection reached: a relay to the service on another port signs the wrong one.
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if not sockname:
        raise InvalidInput("cannot tell which port this connection reached")
    port = int(sockname[1])
    return reply(
        {
            "service": "License Logging",
            "client_proof": service_proof(service.tokens.client, nonce, port),
            "admin_proof": service_proof(service.tokens.admin, nonce, port),
        }
    )


async def request_license(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    data = await _body(request)
    product = data.get("product")
    if not isinstance(product, str):
        raise InvalidInput("product is required (text)")
    version = _optional_text(data, "version")
    if version is not None and len(version) > 128:
        raise InvalidInput("version is longer than 128 characters")
    lease_seconds = data.get("lease_seconds")
    if lease_seconds is not None:
        if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, int | float):
            raise InvalidInput("lease_seconds must be a number")
        lease_seconds = positive_seconds(lease_seconds, "lease_seconds")
        if lease_seconds > service.settings.max_lease_seconds:
            raise InvalidInput(
                f"lease_seconds must be at most {service.settings.max_lease_seconds:g} "
                "(the service's maximum lease length)"
            )
    now = time.monotonic()
    result = service.broker.request(
        product,
        data.get("user"),
        now,
        client=data.get("client"),
        admin=_bool(data, "admin"),
        key=data.get("idempotency_key"),
        lease_seconds=lease_seconds,
        version=version.strip() if version else None,
    )
    if isinstance(result, Denial):
        return reply(
            {
                "granted": False,
                "product": result.product,
                "reason": result.reason,
                "in_use": result.in_use,
                "limit": result.limit,
            }
        )
    document = result.as_dict(now)
    document["granted"] = True
    document["heartbeat_seconds"] = service.settings.heartbeat
    return reply(document)


async def heartbeat(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    now = time.monotonic()
    lease = service.broker.heartbeat(request.match_info["handle"], now)
    return reply(lease.as_dict(now))


async def free(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    lease = service.broker.free(request.match_info["handle"])
    return reply({"freed": lease.handle, "product": lease.product})


async def show_lease(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    return reply(service.broker.lease(request.match_info["handle"]).as_dict(time.monotonic()))


async def list_leases(request: web.Request) -> web.Response:
    _role(request, Role.ADMIN)
    service: Service = request.app["service"]
    now = time.monotonic()
    limit = _limit(request)
    return reply([lease.as_dict(now) for lease in service.broker.leases()[:limit]])


# ---------------------------------------------------------------------------- reading


async def status(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    return reply(service.status())


async def products(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    return reply([state.as_dict() for state in service.broker.products])


async def product(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    return reply(service.broker.product(request.match_info["name"]).as_dict())


async def samples(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    name = request.match_info["name"]
    since = _int_query(request, "since_minute", 0) or 0
    return await read_rows(service, lambda store: store.usage.samples(name, since))


async def events(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    after_id = _int_query(request, "after_id")
    product_name = request.query.get("product")
    since = request.query.get("since")
    limit = _limit(request)
    return await read_rows(
        service,
        lambda store: store.events.list(product=product_name, since=since, after_id=after_id, limit=limit),
    )


async def clients(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    product_name = request.query.get("product")
    limit = _limit(request)
    return await read_rows(service, lambda store: store.clients.usage(product_name, limit=limit))


async def history(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    product_name = request.query.get("product")
    limit = _limit(request)
    return await read_rows(service, lambda store: store.ledger.history(product_name, limit=limit))


# ---------------------------------------------------------------------------- administration


async def _admin_change(request: web.Request, change: Callable[[Any, dict[str, Any]], Any]) -> web.Response:
    """Run a store change for an admin, then apply the new configuration before answering."""
    _role(request, Role.ADMIN)
    service: Service = request.app["service"]
    data = await _body(request)
    result = await service.worker.call(lambda store: change(store, data))
    await service.reload()
    if result is None:
        return reply({"ok": True})
    if isinstance(result, list):
        return reply([item.as_dict() for item in result])
    return reply(result.as_dict() if hasattr(result, "as_dict") else result)


async def add_product(request: web.Request) -> web.Response:
    def change(store: Any, data: dict[str, Any]) -> Any:
        from applet.domain.validation import parse_quantity

        limit = parse_quantity(data.get("limit", 0), "limit", allow_zero=True)
        return store.products.add(
            data.get("name"),
            _administrator(data),
            family=_optional_text(data, "family") or "",
            version=_optional_text(data, "version") or "",
            mode=LicenseMode.parse(data.get("mode", "per-server")),
            limit=limit,
            agreed=_bool(data, "agree"),
        )

    return await _admin_change(request, change)


async def remove_product(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await _admin_change(request, lambda store, data: store.products.remove(name, _administrator(data)))


async def add_licenses(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        mode = data.get("mode")
        return store.ledger.add(
            name,
            data.get("quantity"),
            _administrator(data),
            _bool(data, "agree"),
            data.get("comment", ""),
            mode=LicenseMode.parse(mode) if mode is not None else None,
        )

    return await _admin_change(request, change)


async def remove_licenses(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        mode = data.get("mode")
        return store.ledger.remove(
            name,
            data.get("quantity"),
            _administrator(data),
            data.get("comment", ""),
            mode=LicenseMode.parse(mode) if mode is not None else None,
            certificate=data.get("certificate"),
        )

    return await _admin_change(request, change)


async def change_mode(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        return store.products.change_mode(
            name, LicenseMode.parse(data.get("mode")), _bool(data, "agree"), _administrator(data)
        )

    return await _admin_change(request, change)


async def observe(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        port = data.get("tcp_port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
            raise InvalidInput("tcp_port must be a whole number (0 stops observing)")
        sessions = data.get("sessions")
        if sessions is not None and not isinstance(sessions, bool):
            raise InvalidInput("sessions must be true or false")
        return store.products.set_observation(name, _administrator(data), tcp_port=port, sessions=sessions)

    return await _admin_change(request, change)


async def delete_client(request: web.Request) -> web.Response:
    user = request.match_info["user"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        return {"deleted": user, "products": store.clients.delete(user, _administrator(data))}

    return await _admin_change(request, change)


async def add_group(request: web.Request) -> web.Response:
    def change(store: Any, data: dict[str, Any]) -> Any:
        return store.groups.add(
            data.get("name"), data.get("licenses"), _administrator(data), data.get("description", "")
        )

    return await _admin_change(request, change)


async def remove_group(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await _admin_change(request, lambda store, data: store.groups.remove(name, _administrator(data)))


async def group_members(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        operation = data.get("operation")
        users = data.get("users")
        if not isinstance(users, list):
            raise InvalidInput("users must be a list of user names")
        if operation == "add":
            return store.groups.add_members(name, users, _administrator(data))
        if operation == "remove":
            return store.groups.remove_members(name, users, _administrator(data))
        raise InvalidInput("operation must be add or remove")

    return await _admin_change(request, change)


async def reset(request: web.Request) -> web.Response:
    def change(store: Any, data: dict[str, Any]) -> Any:
        target = data.get("target")
        if not isinstance(target, str):
            raise InvalidInput("target must be usage, groups, history or all")
        store.reset(target, _administrator(data))
        return {"reset": target}

    return await _admin_change(request, change)


async def groups(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    return await read_rows(service, lambda store: store.groups.list())


async def update_group(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Any, data: dict[str, Any]) -> Any:
        return store.groups.update(
            name,
            _administrator(data),
            new_name=data.get("new_name"),
            licenses=data.get("licenses"),
            description=data.get("description"),
        )

    return await _admin_change(request, change)


async def replication(request: web.Request) -> web.Response:
    _role(request, Role.CLIENT)
    service: Service = request.app["service"]
    return await read_rows(service, lambda store: store.replication.get())


async def set_replication(request: web.Request) -> web.Response:
    def change(store: Any, data: dict[str, Any]) -> Any:
        current = store.replication.get()
        texts = {}
        for key in ("master", "enterprise_server", "frequency", "start_at"):
            value = data.get(key, getattr(current, key))
            if not isinstance(value, str):
                raise InvalidInput(f"{key} must be text")
            texts[key] = value
        wanted = ReplicationSettings(
            master=texts["master"],
            enterprise_server=texts["enterprise_server"],
            frequency=texts["frequency"],
            start_at=texts["start_at"],
            every_hours=data.get("every_hours", current.every_hours),
        )
        return store.replication.set(wanted, _administrator(data))

    return await _admin_change(request, change)


async def shutdown(request: web.Request) -> web.Response:
    _role(request, Role.ADMIN)
    service: Service = request.app["service"]
    await request.read()
    # Stop after this answer is on its way, so the caller sees it and the connection is not pending.
    asyncio.get_running_loop().call_soon(service.request_stop)
    return reply({"stopping": True})


def build_app(service: "Service") -> web.Application:
    """The aiohttp application serving ``service``."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[json_errors])
    app["service"] = service
    route = app.router
    route.add_get("/v1/health", health)
    route.add_get(HELLO_PATH, hello)
    route.add_post("/v1/licenses", request_license)
    route.add_get("/v1/licenses/{handle}", show_lease)
    route.add_delete("/v1/licenses/{handle}", free)
    route.add_post("/v1/licenses/{handle}/free", free)
    route.add_post("/v1/licenses/{handle}/heartbeat", heartbeat)
    route.add_get("/v1/leases", list_leases)
    route.add_get("/v1/status", status)
    route.add_get("/v1/products", products)
    route.add_get("/v1/products/{name}", product)
    route.add_get("/v1/products/{name}/samples", samples)
    route.add_get("/v1/events", events)
    route.add_get("/v1/clients", clients)
    route.add_get("/v1/history", history)
    route.add_post("/v1/admin/products", add_product)
    route.add_delete("/v1/admin/products/{name}", remove_product)
    route.add_post("/v1/admin/products/{name}/licenses", add_licenses)
    route.add_post("/v1/admin/products/{name}/licenses/remove", remove_licenses)
    route.add_post("/v1/admin/products/{name}/mode", change_mode)
    route.add_post("/v1/admin/products/{name}/observe", observe)
    route.add_delete("/v1/admin/clients/{user}", delete_client)
    route.add_post("/v1/admin/groups", add_group)
    route.add_delete("/v1/admin/groups/{name}", remove_group)
    route.add_post("/v1/admin/groups/{name}/members", group_members)
    route.add_post("/v1/admin/groups/{name}", update_group)
    route.add_get("/v1/groups", groups)
    route.add_get("/v1/replication", replication)
    route.add_post("/v1/admin/replication", set_replication)
    route.add_post("/v1/admin/reset", reset)
    route.add_post("/v1/admin/shutdown", shutdown)
    add_replication_routes(app)
    return app
