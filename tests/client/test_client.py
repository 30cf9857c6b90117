"""The client library against the real service: the license context manager, restarts, asyncio."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from applet.client import LicenseDenied, ServiceClient, ServiceUnavailable
from applet.client.aio import AsyncServiceClient
from applet.store import Store


def _product(data_dir: Path, limit: int = 1) -> None:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", limit=limit, agreed=True)


def _in_use(service: Any) -> int:
    status, usage = service.http("GET", "/v1/products/SQL%20Server")
    return int(usage["in_use"]) if status == 200 else -1


def test_no_service_is_service_unavailable(data_dir: Path) -> None:
    with pytest.raises(ServiceUnavailable, match="not running"):
        ServiceClient(data_dir=data_dir)


def test_held_license_outlives_the_expiry_and_is_freed(
    start_service: Callable[..., Any], data_dir: Path, wait_for: Callable[..., float]
) -> None:
    _product(data_dir)
    service = start_service("--heartbeat", "0.2", "--expiry", "0.6")
    wait_for(lambda: _in_use(service) == 0)
    with ServiceClient(data_dir=data_dir) as client:
        with client.license("SQL Server", "alice", client="ws1") as held:
            wait_for(lambda: held.renewals >= 6, timeout=5)  # ~1.2 s: twice the expiry
            assert _in_use(service) == 1 and held.last_error is None
            with pytest.raises(LicenseDenied) as denied:
                client.request("SQL Server", "bob", client="ws2")
            assert denied.value.limit == 1 and denied.value.in_use == 1
        assert _in_use(service) == 0
        client.free(client.request("SQL Server", "bob").handle)


def test_held_license_survives_a_service_restart(
    start_service: Callable[..., Any], data_dir: Path, wait_for: Callable[..., float]
) -> None:
    _product(data_dir, limit=3)
    first = start_service("--heartbeat", "0.2", "--expiry", "0.6")
    wait_for(lambda: _in_use(first) == 0)
    client = ServiceClient(data_dir=data_dir)
    with client.license("SQL Server", "alice") as held:
        old_handle = held.handle
        first.stop()
        second = start_service("--heartbeat", "0.2", "--expiry", "0.6")
        # The new service listens on another port: the client finds it through the data folder.
        wait_for(lambda: held.handle != old_handle, timeout=5)
        assert _in_use(second) == 1
    assert _in_use(second) == 0
    client.close()


def test_async_client_holds_and_frees(
    start_service: Callable[..., Any], data_dir: Path, wait_for: Callable[..., float]
) -> None:
    _product(data_dir, limit=2)
    service = start_service("--heartbeat", "0.2", "--expiry", "0.6")
    wait_for(lambda: _in_use(service) == 0)

    async def scenario() -> tuple[int, int, str]:
        async with AsyncServiceClient(data_dir=data_dir) as client:
            async with client.license("SQL Server", "alice"):
                await asyncio.sleep(1.0)  # past the expiry: the background task renewed the lease
                held = _in_use(service)
                results = await asyncio.gather(
                    *(client.request("SQL Server", f"u{i}") for i in range(3)), return_exceptions=True
                )
            denied = [r for r in results if isinstance(r, LicenseDenied)]
            for lease in results:
                if not isinstance(lease, BaseException):
                    await client.free(lease.handle)
            return held, len(denied), (await client.status())["status"]

    held, denied, status = asyncio.run(scenario())
    assert (held, denied, status) == (1, 2, "running")
    assert _in_use(service) == 0


def test_token_files_decide_the_role(service: Any) -> None:
    with ServiceClient(service.endpoint) as client, pytest.raises(Exception) as refused:
        client.call("GET", "/v1/leases")
    assert getattr(refused.value, "status", None) == 403
    with ServiceClient(service.endpoint, admin=True) as admin:
        assert admin.call("GET", "/v1/leases") == []
