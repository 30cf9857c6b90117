"""The administrative operations of the ``lls`` command (admin token): each is a store change run on the
store's thread, after which the service applies the new configuration before it answers."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from msgspec import UNSET

from applet.domain.products import LicenseMode
from applet.service.api.answers import ClientDeletedAnswer, DoneAnswer, ResetAnswer, StoppingAnswer
from applet.service.api.bodies import (
    AdminBody,
    GroupAddBody,
    GroupMembersBody,
    GroupUpdateBody,
    LicensesAddBody,
    LicensesRemoveBody,
    ModeChangeBody,
    ObserveBody,
    ProductAddBody,
    ReplicationBody,
    ResetBody,
)
from applet.service.api.http import SERVICE, read_body, read_rows, reply
from applet.store import Store
from applet.store.records import ReplicationSettings

ChangeBody = TypeVar("ChangeBody", bound=AdminBody)


async def admin_change(
    request: web.Request, body_type: type[ChangeBody], change: Callable[[Store, ChangeBody], Any]
) -> web.Response:
    """Run a store change for an admin, then apply the new configuration before answering."""
    service = request.app[SERVICE]
    body = await read_body(request, body_type)
    result = await service.worker.call(lambda store: change(store, body))
    await service.reload()
    # On a master its own changes enter its enterprise views before the answer, not at the next periodic
    # run: License Manager connected to the master shows a purchase made there when its dialog closes.
    await service.replication.ingest_own_now()
    if result is None:
        return reply(DoneAnswer())
    if isinstance(result, list):
        return reply([item.as_dict() for item in result])
    return reply(result.as_dict() if hasattr(result, "as_dict") else result)


def _mode(text: str | None) -> LicenseMode | None:
    return LicenseMode.parse(text) if text is not None else None


async def add_product(request: web.Request) -> web.Response:
    def change(store: Store, body: ProductAddBody) -> Any:
        return store.products.add(
            body.name,  # checked by the store (clean_name), like every other name
            body.administrator_name(),
            family=body.family or "",
            version=body.version or "",
            mode=LicenseMode.parse(body.mode),
            limit=body.limit,
            agreed=body.agree,
            **({"comment": body.comment} if body.comment is not None else {}),
        )

    return await admin_change(request, ProductAddBody, change)


async def remove_product(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await admin_change(
        request, AdminBody, lambda store, body: store.products.remove(name, body.administrator_name())
    )


async def product_record(request: web.Request) -> web.Response:
    """``GET /v1/admin/products/{name}``: the product as stored, with its revision."""
    service = request.app[SERVICE]
    name = request.match_info["name"]
    return await read_rows(service, lambda store: store.products.get(name))


async def certificates(request: web.Request) -> web.Response:
    """``GET /v1/admin/products/{name}/certificates?mode=``: the purchases of ``mode`` (default Per
    Server) with licenses left, newest first: what Remove Licenses offers on another desk."""
    service = request.app[SERVICE]
    name = request.match_info["name"]
    mode = LicenseMode.parse(request.query.get("mode", LicenseMode.PER_SERVER.value))
    return await read_rows(service, lambda store: store.ledger.certificates(name, mode))


async def add_licenses(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, body: LicensesAddBody) -> Any:
        return store.ledger.add(
            name,
            body.quantity,
            body.administrator_name(),
            body.agree,
            body.comment,
            mode=_mode(body.mode),
            expected_revision=body.expected_revision,
        )

    return await admin_change(request, LicensesAddBody, change)


async def remove_licenses(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, body: LicensesRemoveBody) -> Any:
        return store.ledger.remove(
            name,
            body.quantity,
            body.administrator_name(),
            body.comment,
            mode=_mode(body.mode),
            certificate=body.certificate,
            expected_revision=body.expected_revision,
        )

    return await admin_change(request, LicensesRemoveBody, change)


async def change_mode(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, body: ModeChangeBody) -> Any:
        return store.products.change_mode(
            name,
            LicenseMode.parse(body.mode),
            body.agree,
            body.administrator_name(),
            expected_revision=body.expected_revision,
        )

    return await admin_change(request, ModeChangeBody, change)


async def observe(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, body: ObserveBody) -> Any:
        return store.products.set_observation(
            name, body.administrator_name(), tcp_port=body.tcp_port, sessions=body.sessions
        )

    return await admin_change(request, ObserveBody, change)


async def delete_client(request: web.Request) -> web.Response:
    user = request.match_info["user"]

    def change(store: Store, body: AdminBody) -> Any:
        deleted = store.clients.delete(user, body.administrator_name())
        return ClientDeletedAnswer(deleted=user, products=deleted)

    return await admin_change(request, AdminBody, change)


async def add_group(request: web.Request) -> web.Response:
    def change(store: Store, body: GroupAddBody) -> Any:
        return store.groups.add(body.name, body.licenses, body.administrator_name(), body.description)

    return await admin_change(request, GroupAddBody, change)


async def remove_group(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await admin_change(
        request, AdminBody, lambda store, body: store.groups.remove(name, body.administrator_name())
    )


async def group_members(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, body: GroupMembersBody) -> Any:
        if body.operation == "add":
            return store.groups.add_members(name, body.users, body.administrator_name())
        return store.groups.remove_members(name, body.users, body.administrator_name())

    return await admin_change(request, GroupMembersBody, change)


async def reset(request: web.Request) -> web.Response:
    def change(store: Store, body: ResetBody) -> Any:
        store.reset(body.target, body.administrator_name())
        return ResetAnswer(reset=body.target)

    return await admin_change(request, ResetBody, change)


async def update_group(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, body: GroupUpdateBody) -> Any:
        return store.groups.update(
            name,
            body.administrator_name(),
            new_name=body.new_name,
            licenses=body.licenses,
            description=body.description,
        )

    return await admin_change(request, GroupUpdateBody, change)


async def set_replication(request: web.Request) -> web.Response:
    def change(store: Store, body: ReplicationBody) -> Any:
        current = store.replication.get()

        def given(key: str) -> Any:  # a field left out keeps its value
            value = getattr(body, key)
            return getattr(current, key) if value is UNSET else value

        wanted = ReplicationSettings(
            master=given("master"),
            enterprise_server=given("enterprise_server"),
            frequency=given("frequency"),
            start_at=given("start_at"),
            every_hours=given("every_hours"),
        )
        return store.replication.set(wanted, body.administrator_name(), body.expected_revision)

    return await admin_change(request, ReplicationBody, change)


async def shutdown(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    await request.read()
    # Stop after this answer is on its way, so the caller sees it and the connection is not pending.
    asyncio.get_running_loop().call_soon(service.request_stop)
    return reply(StoppingAnswer())
