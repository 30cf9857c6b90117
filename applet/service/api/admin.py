"""The administrative operations of the ``lls`` command (admin token): each is a store change run on the
store's thread, after which the service applies the new configuration before it answers."""

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from applet.domain.errors import InvalidInput
from applet.domain.products import LicenseMode
from applet.service.api.http import (
    SERVICE,
    administrator_of,
    flag,
    optional_text,
    read_body,
    read_rows,
    reply,
)
from applet.store import Store
from applet.store.records import ReplicationSettings


async def admin_change(request: web.Request, change: Callable[[Store, dict[str, Any]], Any]) -> web.Response:
    """Run a store change for an admin, then apply the new configuration before answering."""
    service = request.app[SERVICE]
    data = await read_body(request)
    result = await service.worker.call(lambda store: change(store, data))
    await service.reload()
    if result is None:
        return reply({"ok": True})
    if isinstance(result, list):
        return reply([item.as_dict() for item in result])
    return reply(result.as_dict() if hasattr(result, "as_dict") else result)


async def add_product(request: web.Request) -> web.Response:
    def change(store: Store, data: dict[str, Any]) -> Any:
        from applet.domain.validation import parse_quantity

        limit = parse_quantity(data.get("limit", 0), "limit", allow_zero=True)
        name: Any = data.get("name")  # checked by the store (clean_name), like every other field
        return store.products.add(
            name,
            administrator_of(data),
            family=optional_text(data, "family") or "",
            version=optional_text(data, "version") or "",
            mode=LicenseMode.parse(data.get("mode", "per-server")),
            limit=limit,
            agreed=flag(data, "agree"),
        )

    return await admin_change(request, change)


async def remove_product(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await admin_change(
        request, lambda store, data: store.products.remove(name, administrator_of(data))
    )


def expected_revision(data: dict[str, Any]) -> int | None:
    """``expected_revision``: the product's revision the caller saw (a remote License Manager); the
    change is refused (409) when someone else changed the product since, and nothing is written."""
    value = data.get("expected_revision")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("expected_revision must be a whole number")
    return value


async def product_record(request: web.Request) -> web.Response:
    """``GET /v1/admin/products/{name}``: the product as stored, with its revision."""
    service = request.app[SERVICE]
    name = request.match_info["name"]
    return await read_rows(service, lambda store: store.products.get(name))


async def add_licenses(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        mode = data.get("mode")
        return store.ledger.add(
            name,
            data.get("quantity"),
            administrator_of(data),
            flag(data, "agree"),
            data.get("comment", ""),
            mode=LicenseMode.parse(mode) if mode is not None else None,
            expected_revision=expected_revision(data),
        )

    return await admin_change(request, change)


async def remove_licenses(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        mode = data.get("mode")
        return store.ledger.remove(
            name,
            data.get("quantity"),
            administrator_of(data),
            data.get("comment", ""),
            mode=LicenseMode.parse(mode) if mode is not None else None,
            certificate=data.get("certificate"),
            expected_revision=expected_revision(data),
        )

    return await admin_change(request, change)


async def change_mode(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        return store.products.change_mode(
            name,
            LicenseMode.parse(data.get("mode")),
            flag(data, "agree"),
            administrator_of(data),
            expected_revision=expected_revision(data),
        )

    return await admin_change(request, change)


async def observe(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        port = data.get("tcp_port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
            raise InvalidInput("tcp_port must be a whole number (0 stops observing)")
        sessions = data.get("sessions")
        if sessions is not None and not isinstance(sessions, bool):
            raise InvalidInput("sessions must be true or false")
        return store.products.set_observation(name, administrator_of(data), tcp_port=port, sessions=sessions)

    return await admin_change(request, change)


async def delete_client(request: web.Request) -> web.Response:
    user = request.match_info["user"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        return {"deleted": user, "products": store.clients.delete(user, administrator_of(data))}

    return await admin_change(request, change)


async def add_group(request: web.Request) -> web.Response:
    def change(store: Store, data: dict[str, Any]) -> Any:
        return store.groups.add(
            data.get("name"), data.get("licenses"), administrator_of(data), data.get("description", "")
        )

    return await admin_change(request, change)


async def remove_group(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await admin_change(request, lambda store, data: store.groups.remove(name, administrator_of(data)))


async def group_members(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        operation = data.get("operation")
        users = data.get("users")
        if not isinstance(users, list):
            raise InvalidInput("users must be a list of user names")
        if operation == "add":
            return store.groups.add_members(name, users, administrator_of(data))
        if operation == "remove":
            return store.groups.remove_members(name, users, administrator_of(data))
        raise InvalidInput("operation must be add or remove")

    return await admin_change(request, change)


async def reset(request: web.Request) -> web.Response:
    def change(store: Store, data: dict[str, Any]) -> Any:
        target = data.get("target")
        if not isinstance(target, str):
            raise InvalidInput("target must be usage, groups, history or all")
        store.reset(target, administrator_of(data))
        return {"reset": target}

    return await admin_change(request, change)


async def update_group(request: web.Request) -> web.Response:
    name = request.match_info["name"]

    def change(store: Store, data: dict[str, Any]) -> Any:
        return store.groups.update(
            name,
            administrator_of(data),
            new_name=data.get("new_name"),
            licenses=data.get("licenses"),
            description=data.get("description"),
        )

    return await admin_change(request, change)


async def set_replication(request: web.Request) -> web.Response:
    def change(store: Store, data: dict[str, Any]) -> Any:
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
        return store.replication.set(wanted, administrator_of(data))

    return await admin_change(request, change)


async def shutdown(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    await request.read()
    # Stop after this answer is on its way, so the caller sees it and the connection is not pending.
    asyncio.get_running_loop().call_soon(service.request_stop)
    return reply({"stopping": True})
