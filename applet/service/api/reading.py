"""Reading routes (client token): status, products, samples, events, clients, history, groups,
replication settings."""

from aiohttp import web

from applet.service.api.http import SERVICE, int_query, limit_query, read_rows, reply


async def status(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return reply(service.status())


async def products(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return reply([state.as_dict() for state in service.broker.products])


async def product(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return reply(service.broker.product(request.match_info["name"]).as_dict())


async def samples(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    name = request.match_info["name"]
    since = int_query(request, "since_minute", 0) or 0
    return await read_rows(service, lambda store: store.usage.samples(name, since))


async def events(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    after_id = int_query(request, "after_id")
    product_name = request.query.get("product")
    since = request.query.get("since")
    limit = limit_query(request)
    return await read_rows(
        service,
        lambda store: store.events.list(product=product_name, since=since, after_id=after_id, limit=limit),
    )


async def clients(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    product_name = request.query.get("product")
    limit = limit_query(request)
    return await read_rows(service, lambda store: store.clients.usage_json(product_name, limit=limit))


async def history(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    product_name = request.query.get("product")
    limit = limit_query(request)
    return await read_rows(service, lambda store: store.ledger.history(product_name, limit=limit))


async def groups(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return await read_rows(service, lambda store: store.groups.list())


async def replication(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return await read_rows(service, lambda store: store.replication.get())
