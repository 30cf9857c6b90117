"""The asyncio client of the service API (aiohttp), for programs that run an event loop.

Same operations and errors as :mod:`applet.client.api`::

    async with AsyncServiceClient() as service:
        async with service.license("SQL Server", user="alice") as held:
            await serve_the_client()          # a task renews the lease in the background

Like the synchronous client it makes the listener prove it is this store's service before the token
is sent (:mod:`applet.domain.proof`): when the session opens and again after any connection failure
(aiohttp's pool does not say when it opens a new connection, so this is per session, not per
connection).
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from applet.client.api import (
    MAX_HELLO_ANSWER,
    ApiError,
    LeaseInfo,
    ServiceError,
    ServiceNotProven,
    ServiceUnavailable,
    granted_lease,
    hello_answer,
    new_idempotency_key,
    request_body,
    tls_context,
)
from applet.domain.proof import HELLO_PATH, new_nonce
from applet.store.endpoint import ServiceEndpoint, find_service
from applet.store.paths import DataPaths


class AsyncServiceClient:
    """An aiohttp session to the service (keep-alive, many requests in flight)."""

    def __init__(
        self,
        endpoint: ServiceEndpoint | None = None,
        data_dir: str | os.PathLike[str] | DataPaths | None = None,
        admin: bool = False,
        token: str | None = None,
        timeout: float = 10.0,
        connections: int = 100,
    ) -> None:
        found = endpoint if endpoint is not None else find_service(data_dir)
        if found is None:
            raise ServiceUnavailable("the License Logging service is not running on this store")
        self.endpoint = found
        secret = token if token is not None else found.token(admin)
        if secret is None:
            raise ServiceUnavailable("cannot read the service's token")
        self._secret = secret
        self._headers = {"Authorization": f"Bearer {secret}"}
        self._proven = False
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self.heartbeat_seconds = 60.0

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            ssl_context = tls_context(self.endpoint) if self.endpoint.tls else None
            connector = aiohttp.TCPConnector(limit=self._connections, ssl=ssl_context or False)
            # No default headers: the token goes only on requests made after the proof.
            self._session = aiohttp.ClientSession(
                base_url=self.endpoint.url, timeout=self._timeout, connector=connector
            )
        return self._session

    async def _prove(self, session: aiohttp.ClientSession) -> None:
        nonce = new_nonce()
        async with session.get(HELLO_PATH, params={"nonce": nonce}) as response:
            raw = await response.content.read(MAX_HELLO_ANSWER + 1)
            if len(raw) > MAX_HELLO_ANSWER:
                raise ServiceNotProven(self.endpoint, "its answer is too long")
            hello_answer(response.status, raw, self.endpoint, self._secret, nonce)
        self._proven = True

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call; returns the decoded JSON or raises."""
        session = self._open()
        try:
            if not self._proven:
                await self._prove(session)
            async with session.request(method, path, json=body, headers=self._headers) as response:
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    raise ApiError(status, f"the service sent a non-JSON answer (HTTP {status})") from None
        except (aiohttp.ClientConnectionError, TimeoutError) as error:
            self._proven = False
            raise ServiceUnavailable(f"the service does not answer: {error}") from error
        if status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise ApiError(status, str(message or f"HTTP {status}"))
        return data

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> "AsyncServiceClient":
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def request(
        self,
        product: str,
        user: str,
        client: str | None = None,
        admin: bool = False,
        version: str | None = None,
        idempotency_key: str | None = None,
    ) -> LeaseInfo:
        """Ask for a license; raises :class:`LicenseDenied` when refused."""
        body = request_body(product, user, client, admin, version, idempotency_key)
        lease = granted_lease(await self.call("POST", "/v1/licenses", body), product)
        self.heartbeat_seconds = lease.heartbeat_seconds
        return lease

    async def heartbeat(self, handle: str) -> LeaseInfo:
        """Renew a lease."""
        data = await self.call("POST", f"/v1/licenses/{quote(handle, safe='')}/heartbeat")
        return LeaseInfo.from_json(data, self.heartbeat_seconds)

    async def free(self, handle: str) -> None:
        """Release a license."""
        await self.call("DELETE", f"/v1/licenses/{quote(handle, safe='')}")

    async def status(self) -> dict[str, Any]:
        """The service's status document."""
        result: dict[str, Any] = await self.call("GET", "/v1/status")
        return result

    @contextlib.asynccontextmanager
    async def license(
        self, product: str, user: str, client: str | None = None, admin: bool = False
    ) -> AsyncIterator[LeaseInfo]:
        """Hold a license for the ``async with`` block; a task sends the heartbeats."""
        key = new_idempotency_key()
        lease = await self.request(product, user, client, admin, idempotency_key=key)
        current = [lease]

        async def beat() -> None:
            while True:
                await asyncio.sleep(current[0].heartbeat_seconds)
                try:
                    try:
                        current[0] = await self.heartbeat(current[0].handle)
                    except ApiError as error:
                        if error.status != 404:
                            raise
                        # Expired or the service restarted: the same key never counts twice.
                        current[0] = await self.request(product, user, client, admin, idempotency_key=key)
                except ServiceError:
                    continue  # the service may come back; keep trying

        task = asyncio.create_task(beat())
        try:
            yield lease
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            with contextlib.suppress(ServiceError):
                await self.free(current[0].handle)
