"""What the API's routes share: JSON answers and errors, the error middleware, the role check, body and
query parsing, and :class:`ApiContext` (the narrow view of the running service the routes get, under the
application key :data:`SERVICE`)."""

import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from aiohttp import web

from applet.domain.errors import (
    InsufficientLicenses,
    InvalidInput,
    LicensingError,
    ModeChangeRefused,
    UnknownProduct,
)
from applet.service.api.bodies import BodyType, typed_body
from applet.service.leases import KeyConflict, LeaseNotFound, TooManyLeases
from applet.service.logs import service_logger
from applet.service.tokens import Role
from applet.store import StoreError
from applet.store.products import ConcurrentChange

log = service_logger(__name__)

if TYPE_CHECKING:
    from applet.service.broker import Broker
    from applet.service.replication import Replication
    from applet.service.settings import ServiceSettings
    from applet.service.tokens import Tokens
    from applet.service.worker import StoreWorker

MAX_BODY = 64 * 1024
MAX_LIST = 10_000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_JSON = "application/json"


class ApiContext(Protocol):
    """What the routes use of the running service (:class:`applet.service.runner.Service` is one)."""

    @property
    def settings(self) -> "ServiceSettings": ...

    @property
    def tokens(self) -> "Tokens": ...

    @property
    def broker(self) -> "Broker": ...

    @property
    def worker(self) -> "StoreWorker": ...

    @property
    def replication(self) -> "Replication": ...

    def status(self) -> dict[str, Any]:
        """The figures of ``GET /v1/status``."""

    async def reload(self) -> None:
        """Apply the store's configuration now (after an administrative change)."""

    def request_stop(self) -> None:
        """Stop the service (``POST /v1/admin/shutdown``)."""


SERVICE = web.AppKey[ApiContext]("service")


def reply(data: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.Response(body=encode(data), status=status, content_type=_JSON)


def encode(data: Any) -> bytes:
    """JSON bytes of an answer (orjson: the encoding was a fifth of a request's time with json)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


async def read_rows(service: ApiContext, query: Callable[[Any], Any]) -> web.Response:
    """Rows from the store, read and encoded on the reader thread (see :mod:`applet.service.worker`);
    a query may answer JSON bytes itself (a large page that SQLite encodes)."""

    def run(store: Any) -> bytes:
        rows = query(store)
        if isinstance(rows, bytes):
            return rows
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


def require_role(request: web.Request, needed: Role) -> None:
    service = request.app[SERVICE]
    role = service.tokens.role(request.headers.get("Authorization"))
    if role is None:
        raise web.HTTPUnauthorized(reason="missing or wrong token (Authorization: Bearer <token>)")
    if needed is Role.ADMIN and role is not Role.ADMIN:
        raise web.HTTPForbidden(reason="this operation needs the admin token")


async def read_body(request: web.Request, body_type: type[BodyType]) -> BodyType:
    """The request's body as ``body_type`` (an empty body is ``{}``); :class:`InvalidInput` otherwise."""
    raw = await request.read()
    if not raw:
        return typed_body({}, body_type)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        # orjson refuses NaN and Infinity, invalid UTF-8, and nesting deeper than 1,024 levels.
        detail = "nested too deeply" if "depth" in str(error).lower() else "not valid JSON"
        raise InvalidInput(f"the body is {detail}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return typed_body(data, body_type)


def int_query(request: web.Request, key: str, default: int | None = None) -> int | None:
    text = request.query.get(key)
    if text is None or text == "":
        return default
    if not text.lstrip("-").isdigit() or len(text) > 18:
        raise InvalidInput(f"{key} must be a whole number")
    return int(text)


def limit_query(request: web.Request, default: int = 1000) -> int:
    value = int_query(request, "limit", default)
    assert value is not None
    if not 1 <= value <= MAX_LIST:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIST}")
    return value
