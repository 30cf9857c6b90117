"""Routes of license-aware programs: request, heartbeat, free and show a license; the proof of identity
and the health probe; the admin's list of leases."""

import time

from aiohttp import web

from applet.domain.errors import InvalidInput
from applet.domain.proof import API_VERSION, service_proof, valid_nonce
from applet.service.api.answers import DeniedAnswer, FreedAnswer, HealthAnswer, HelloAnswer
from applet.service.api.bodies import LicenseRequestBody
from applet.service.api.http import SERVICE, limit_query, read_body, reply
from applet.service.broker import Denial


async def health(request: web.Request) -> web.Response:
    """Liveness without a token (for probes): no counts, no names."""
    return reply(HealthAnswer())


async def hello(request: web.Request) -> web.Response:
    """The proof of identity a client checks before it sends a token (no token needed)."""
    service = request.app[SERVICE]
    nonce = request.query.get("nonce", "")
    if not valid_nonce(nonce):
        raise InvalidInput("nonce must be 32 to 128 lowercase hexadecimal digits")
    # The port this connection reached: a relay to the service on another port signs the wrong one.
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if not sockname:
        raise InvalidInput("cannot tell which port this connection reached")
    port = int(sockname[1])
    return reply(
        HelloAnswer(
            service="License Logging",
            api_version=API_VERSION,
            client_proof=service_proof(service.tokens.client, nonce, port),
            admin_proof=service_proof(service.tokens.admin, nonce, port),
        )
    )


async def request_license(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    body = (await read_body(request, LicenseRequestBody)).within(service.settings.max_lease_seconds)
    now = time.monotonic()
    result = service.broker.request(
        body.product,
        body.user,
        now,
        client=body.client,
        admin=body.admin,
        key=body.idempotency_key,
        lease_seconds=body.lease_seconds,
        version=body.version,
    )
    if isinstance(result, Denial):
        return reply(
            DeniedAnswer(
                product=result.product, reason=result.reason, in_use=result.in_use, limit=result.limit
            )
        )
    document = result.as_dict(now)
    document["granted"] = True
    document["heartbeat_seconds"] = service.settings.heartbeat
    return reply(document)


async def heartbeat(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    now = time.monotonic()
    lease = service.broker.heartbeat(request.match_info["handle"], now)
    return reply(lease.as_dict(now))


async def free(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    lease = service.broker.free(request.match_info["handle"])
    return reply(FreedAnswer(freed=lease.handle, product=lease.product))


async def show_lease(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return reply(service.broker.lease(request.match_info["handle"]).as_dict(time.monotonic()))


async def list_leases(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    now = time.monotonic()
    limit = limit_query(request)
    return reply([lease.as_dict(now) for lease in service.broker.leases()[:limit]])
