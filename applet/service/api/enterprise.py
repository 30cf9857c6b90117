"""License Manager's view of the enterprise (admin token): a master's four tabs over every server.

    GET /v1/enterprise  {"master", "api_version", "database", "servers", "batches", "last_replication"}
    GET /v1/enterprise/purchases?sort=&descending=&filter=&server=&offset=&limit=&count=
    GET /v1/enterprise/products
    GET /v1/enterprise/clients?sort=&descending=&filter=&offset=&limit=&count=
    GET /v1/enterprise/servers
    GET /v1/enterprise/servers/{name}/products
    GET /v1/enterprise/products/{name}/usage?since=&until=&bucket=&server=&top=
    GET /v1/enterprise/report

Pages answer ``{"rows": [...], "total": N}``; ``total`` is counted only with ``count=1`` (License
Manager asks once per filter, not per page) and is ``null`` otherwise. Sort keys and rows are those of
:mod:`applet.store.enterprise.views`. A service that is not a master (no server was ever enrolled) answers
404, an unknown server 404, an enterprise database that cannot be reached 503. Everything is read on the
enterprise database's reader threads (:mod:`applet.service.enterprise_worker`), never on the event loop
nor behind the batches being stored: what walks every row of a filter (a count, a sort by an aggregate),
the usage chart and the report on the heavy one, so the Server Browser's servers and the first pages
never wait for them.

The usage chart (:mod:`applet.store.enterprise.usage`): ``since`` and ``until`` are ISO 8601 times (UTC
when they name no zone) or whole minutes since the epoch; by default the last 24 hours. The compliance
report (:mod:`applet.store.enterprise.compliance`) is the same document ``lls enterprise report --json``
prints.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from applet.domain.errors import InvalidInput
from applet.domain.proof import API_VERSION
from applet.service.api.http import SERVICE, error_reply, int_query, limit_query, reply
from applet.store.database import utc_now
from applet.store.enterprise import usage, views
from applet.store.enterprise.compliance import enterprise_compliance
from applet.store.enterprise.dialect import Connection, EnterpriseDatabaseError

MAX_FILTER = 128


async def _read(
    request: web.Request, query: Callable[[Connection], Any], heavy: bool = False
) -> web.Response:
    replication = request.app[SERVICE].replication
    enterprise = replication.enterprise
    if not enterprise.active:
        return error_reply(
            404,
            f"{replication.identity} is not a master: no server is enrolled with it (lls enterprise enroll)",
        )
    try:
        return reply(await enterprise.read(query, heavy))
    except LookupError as error:
        return error_reply(404, str(error.args[0]))
    except EnterpriseDatabaseError as error:
        return error_reply(503, f"the enterprise database is unavailable: {error}")


def _text(request: web.Request, key: str) -> str:
    value = request.query.get(key, "").strip()
    if len(value) > MAX_FILTER:
        raise InvalidInput(f"{key} must be at most {MAX_FILTER} characters")
    return value


def _yes(request: web.Request, key: str) -> bool:
    value = request.query.get(key, "")
    if value not in ("", "0", "1", "true", "false"):
        raise InvalidInput(f"{key} must be 0 or 1")
    return value in ("1", "true")


def _page(request: web.Request) -> tuple[int, int]:
    offset = int_query(request, "offset", 0) or 0
    if offset < 0:
        raise InvalidInput("offset must be 0 or more")
    return offset, limit_query(request, 200)


async def summary(request: web.Request) -> web.Response:
    replication = request.app[SERVICE].replication
    database = replication.enterprise.description

    return await _read(
        request,
        lambda db: {
            "master": replication.identity,
            "api_version": API_VERSION,
            "database": database,
            **views.activity(db),
        },
    )


async def purchases(request: web.Request) -> web.Response:
    sort = request.query.get("sort", "date")
    descending = _yes(request, "descending") if "descending" in request.query else True
    text, server = _text(request, "filter"), _text(request, "server") or None
    offset, limit = _page(request)
    count = _yes(request, "count")

    def read(db: Connection) -> dict[str, Any]:
        rows = views.purchases_page(db, sort, descending, text, server, offset, limit)
        total = views.purchases_count(db, text, server) if count else None
        return {"rows": rows, "total": total}

    return await _read(request, read, heavy=count)


async def products(request: web.Request) -> web.Response:
    return await _read(request, lambda db: {"rows": views.products(db)})


async def clients(request: web.Request) -> web.Response:
    sort = request.query.get("sort", "user")
    descending = _yes(request, "descending")
    text = _text(request, "filter")
    offset, limit = _page(request)
    count = _yes(request, "count")

    def read(db: Connection) -> dict[str, Any]:
        rows = views.clients_page(db, sort, descending, text, offset, limit)
        total = views.clients_count(db, text) if count else None
        return {"rows": rows, "total": total}

    # Sorted by user, a page walks the user index and stops; any other sort aggregates every user.
    return await _read(request, read, heavy=count or sort != "user")


async def servers(request: web.Request) -> web.Response:
    return await _read(request, lambda db: {"rows": views.servers(db)})


async def server_products(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await _read(request, lambda db: {"server": name, "rows": views.server_products(db, name)})


def _minute(request: web.Request, key: str, default: int) -> int:
    """A time parameter in epoch minutes: whole minutes, or an ISO 8601 time (UTC without a zone)."""
    text = request.query.get(key, "").strip()
    if not text:
        return default
    if text.isdigit() and len(text) <= 12:
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{key} must be an ISO 8601 time or whole minutes since 1970") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // 60)


async def product_usage(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    until = _minute(request, "until", int(time.time() // 60))
    since = _minute(request, "since", until - 24 * 60)
    bucket = int_query(request, "bucket", 1) or 0
    top = int_query(request, "top", 5)
    assert top is not None
    server = _text(request, "server") or None
    usage.check_range(since, until, bucket, top)
    return await _read(
        request, lambda db: usage.product_usage(db, name, since, until, bucket, server, top), heavy=True
    )


async def report(request: web.Request) -> web.Response:
    master = request.app[SERVICE].replication.identity

    def read(db: Connection) -> dict[str, Any]:
        return {"master": master, "generated": utc_now(), **enterprise_compliance(db)}

    return await _read(request, read, heavy=True)
