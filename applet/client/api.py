"""The synchronous client of the service API (standard library only: cheap to import for the CLI).

Usage by a license-aware program::

    from applet.client import ServiceClient, LicenseDenied

    with ServiceClient() as service:                      # finds the service of the default store
        try:
            with service.license("SQL Server", user="alice", client="ws-17"):
                serve_the_client()                        # heartbeats run in the background
        except LicenseDenied as denial:
            refuse(denial.reason)

Every request carries an idempotency key, so retrying after a dropped connection never takes a
second license. Errors: :class:`ServiceUnavailable` (no service, or it stopped answering),
:class:`LicenseDenied` (the request was refused), :class:`ApiError` (the service answered 4xx/5xx).

Before the first request on every new connection the client makes the listener prove that it is this
store's service (:mod:`applet.domain.proof`); a listener that cannot is
:class:`ServiceNotProven` (a kind of :class:`ServiceUnavailable`) and never sees the token.
"""

import contextlib
import http.client
import json
import os
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

from applet.domain.proof import API_VERSION, HELLO_PATH, new_nonce, proof_matches
from applet.store.endpoint import ServiceEndpoint, find_service
from applet.store.paths import DataPaths

# The proof answer is a few hundred bytes; a listener that sends more is not the service.
MAX_HELLO_ANSWER = 4096


class ServiceError(Exception):
    """Base of the client's errors."""


class ServiceUnavailable(ServiceError):
    """No service runs on the store, it does not answer, or its token cannot be read."""


class ServiceNotProven(ServiceUnavailable):
    """Something listens on the service's port but could not prove it is this store's service."""

    def __init__(self, endpoint: ServiceEndpoint, detail: str) -> None:
        super().__init__(
            f"the program listening on {endpoint.url} did not prove that it is this store's License "
            f"Logging service ({detail}); nothing was sent to it"
        )


def hello_answer(status: int, raw: bytes, endpoint: ServiceEndpoint, token: str, nonce: str) -> None:
    """Check the listener's answer to ``GET /v1/hello``; raises :class:`ServiceNotProven`."""
    if status != 200:
        raise ServiceNotProven(endpoint, f"it answered HTTP {status}")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ServiceNotProven(endpoint, "its answer is not JSON") from None
    if not isinstance(data, dict):
        raise ServiceNotProven(endpoint, "its answer is not a JSON object")
    admin = token == endpoint.token(admin=True)
    if not proof_matches(data.get("admin_proof" if admin else "client_proof"), token, nonce, endpoint.port):
        raise ServiceNotProven(endpoint, "wrong proof")
    # Checked once the listener proved it holds the token: only then is its version worth a word.
    version = data.get("api_version")
    if version != API_VERSION:
        raise ApiVersionMismatch(endpoint, version)


class ApiVersionMismatch(ServiceUnavailable):
    """The service speaks another version of the API than this program; nothing was sent to it."""

    def __init__(self, endpoint: ServiceEndpoint, version: object) -> None:
        spoken = f"version {version}" if isinstance(version, int) else "an unversioned API"
        super().__init__(
            f"the License Logging service at {endpoint.url} speaks {spoken} of the API and this "
            f"program speaks version {API_VERSION}: update the older of the two"
        )
        self.version = version


class ApiError(ServiceError):
    """The service answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class LicenseDenied(ServiceError):
    """The service refused the license (Per Server limit reached)."""

    def __init__(self, product: str, reason: str, in_use: int, limit: int) -> None:
        super().__init__(reason)
        self.product = product
        self.reason = reason
        self.in_use = in_use
        self.limit = limit


@dataclass(frozen=True)
class LeaseInfo:
    """A granted license as the service describes it."""

    handle: str
    product: str
    user: str
    client: str
    licensed: bool
    expires_in: float | None
    heartbeat_seconds: float
    document: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any], heartbeat_seconds: float = 60.0) -> "LeaseInfo":
        """Parse the service's lease document."""
        return cls(
            handle=str(data["handle"]),
            product=str(data["product"]),
            user=str(data["user"]),
            client=str(data["client"]),
            licensed=bool(data.get("licensed", True)),
            expires_in=data.get("expires_in"),
            heartbeat_seconds=float(data.get("heartbeat_seconds", heartbeat_seconds)),
            document=data,
        )


def tls_context(endpoint: ServiceEndpoint) -> ssl.SSLContext:
    """Trust the service's own certificate when the endpoint names it, else the system's CAs."""
    if endpoint.tls_cert_file is None:
        return ssl.create_default_context()
    # Pinning the exact certificate the service published: no CA chain or host name to check.
    context = ssl.create_default_context(cafile=str(endpoint.tls_cert_file))
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def new_idempotency_key() -> str:
    """A fresh random key."""
    return uuid.uuid4().hex


def request_body(
    product: str,
    user: str,
    client: str | None = None,
    admin: bool = False,
    version: str | None = None,
    idempotency_key: str | None = None,
    lease_seconds: float | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/licenses`` (shared by the sync and asyncio clients)."""
    body: dict[str, Any] = {
        "product": product,
        "user": user,
        "admin": admin,
        "idempotency_key": idempotency_key or new_idempotency_key(),
    }
    optional = {"client": client, "version": version, "lease_seconds": lease_seconds}
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def granted_lease(data: dict[str, Any], product: str) -> LeaseInfo:
    """The lease of a request's answer, or :class:`LicenseDenied` when it was refused."""
    if not data.get("granted"):
        raise LicenseDenied(
            str(data.get("product", product)),
            str(data.get("reason", "denied")),
            int(data.get("in_use", 0)),
            int(data.get("limit", 0)),
        )
    return LeaseInfo.from_json(data)


class ServiceClient:
    """A keep-alive connection to the service; thread-safe (calls are serialised)."""

    def __init__(
        self,
        endpoint: ServiceEndpoint | None = None,
        data_dir: str | os.PathLike[str] | DataPaths | None = None,
        admin: bool = False,
        token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        found = endpoint if endpoint is not None else find_service(data_dir)
        if found is None:
            raise ServiceUnavailable("the License Logging service is not running on this store")
        # Found through the data folder: after a service restart (a new port), find it again.
        self._discover = endpoint is None
        self._data_dir = data_dir
        self._admin = admin
        self._token = token
        self._use(found)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        self.heartbeat_seconds = 60.0

    def _use(self, endpoint: ServiceEndpoint) -> None:
        secret = self._token if self._token is not None else endpoint.token(self._admin)
        if secret is None:
            role = "admin" if self._admin else "client"
            path = endpoint.admin_token_file if self._admin else endpoint.client_token_file
            raise ServiceUnavailable(f"cannot read the service's {role} token ({path})")
        self.endpoint = endpoint
        self._secret = secret
        self._headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def _rediscover(self) -> bool:
        """Switch to a restarted service of the same store; True when there is a new endpoint."""
        if not self._discover:
            return False
        found = find_service(self._data_dir)
        if found is None or found == self.endpoint:
            return False
        self._use(found)
        return True

    # ------------------------------------------------------------------ transport

    def _connect(self) -> http.client.HTTPConnection:
        host = self.endpoint.url.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")
        if self.endpoint.tls:
            return http.client.HTTPSConnection(
                host, self.endpoint.port, timeout=self.timeout, context=tls_context(self.endpoint)
            )
        return http.client.HTTPConnection(host, self.endpoint.port, timeout=self.timeout)

    def _prove(self, connection: http.client.HTTPConnection) -> None:
        """Challenge the listener on a new connection before any token goes over it."""
        nonce = new_nonce()
        connection.request("GET", f"{HELLO_PATH}?nonce={nonce}")
        response = connection.getresponse()
        raw = response.read(MAX_HELLO_ANSWER + 1)
        if len(raw) > MAX_HELLO_ANSWER:
            raise ServiceNotProven(self.endpoint, "its answer is too long")
        hello_answer(response.status, raw, self.endpoint, self._secret, nonce)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call; returns the decoded JSON or raises (see the module docstring)."""
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        with self._lock:
            for attempt in (1, 2):
                reused = self._connection is not None
                try:
                    if self._connection is None:
                        self._connection = self._connect()
                        self._prove(self._connection)
                    self._connection.request(method, path, body=payload, headers=self._headers)
                    response = self._connection.getresponse()
                    raw = response.read()
                    break
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                    # A kept-alive connection the service closed while idle: retry once on a new one
                    # (safe: license requests carry an idempotency key).
                    self._drop()
                    if attempt == 2 or not reused:
                        raise ServiceUnavailable(f"the service closed the connection: {error}") from error
                except ServiceNotProven:
                    self._drop()
                    raise
                except (OSError, http.client.HTTPException) as error:
                    self._drop()
                    if attempt == 1 and self._rediscover():
                        continue
                    raise ServiceUnavailable(f"the service does not answer: {error}") from error
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            raise ApiError(
                response.status, f"the service sent a non-JSON answer ({response.status})"
            ) from None
        if response.status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise ApiError(response.status, str(message or f"HTTP {response.status}"))
        return data

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()

    def __enter__(self) -> "ServiceClient":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ licenses

    def request(
        self,
        product: str,
        user: str,
        client: str | None = None,
        admin: bool = False,
        version: str | None = None,
        idempotency_key: str | None = None,
        lease_seconds: float | None = None,
    ) -> LeaseInfo:
        """Ask for a license; raises :class:`LicenseDenied` when refused."""
        body = request_body(product, user, client, admin, version, idempotency_key, lease_seconds)
        lease = granted_lease(self.call("POST", "/v1/licenses", body), product)
        self.heartbeat_seconds = lease.heartbeat_seconds
        return lease

    def heartbeat(self, handle: str) -> LeaseInfo:
        """Renew a lease (``ApiError`` 404 when it expired or the service restarted)."""
        data = self.call("POST", f"/v1/licenses/{quote(handle, safe='')}/heartbeat")
        return LeaseInfo.from_json(data, self.heartbeat_seconds)

    def free(self, handle: str) -> None:
        """Release a license (``ApiError`` 404 for an unknown or freed handle)."""
        self.call("DELETE", f"/v1/licenses/{quote(handle, safe='')}")

    @contextmanager
    def license(
        self,
        product: str,
        user: str,
        client: str | None = None,
        admin: bool = False,
        version: str | None = None,
    ) -> Iterator["HeldLicense"]:
        """Hold a license for the ``with`` block: request, heartbeat in the background, free."""
        held = HeldLicense(self, product, user, client, admin, version)
        held.acquire()
        try:
            yield held
        finally:
            held.release()

    # ------------------------------------------------------------------ reading

    def status(self) -> dict[str, Any]:
        """The service's status document."""
        result: dict[str, Any] = self.call("GET", "/v1/status")
        return result

    def products(self) -> list[dict[str, Any]]:
        """Per-product usage: in use, limit, peak, requests, denials."""
        result: list[dict[str, Any]] = self.call("GET", "/v1/products")
        return result

    def product(self, name: str) -> dict[str, Any]:
        """One product's usage."""
        result: dict[str, Any] = self.call("GET", f"/v1/products/{quote(name, safe='')}")
        return result

    def events(
        self, after_id: int | None = None, product: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Events from the store, oldest first."""
        query: dict[str, str] = {"limit": str(limit)}
        if after_id is not None:
            query["after_id"] = str(after_id)
        if product is not None:
            query["product"] = product
        result: list[dict[str, Any]] = self.call("GET", "/v1/events?" + urlencode(query))
        return result

    def leases(self) -> list[dict[str, Any]]:
        """Every license held now: handle, product, user, client, granted_at, expires_in (admin token)."""
        result: list[dict[str, Any]] = self.call("GET", "/v1/leases?limit=10000")
        return result

    def shutdown(self) -> None:
        """Stop the service (admin token)."""
        self.call("POST", "/v1/admin/shutdown", {})


class HeldLicense:
    """A license kept alive by a background thread until :meth:`release`.

    If a heartbeat finds the lease gone (the service restarted, or the program was paused past the
    expiry), the thread asks again with the same idempotency key, so the program keeps its license
    without being counted twice.
    """

    def __init__(
        self,
        service: ServiceClient,
        product: str,
        user: str,
        client: str | None,
        admin: bool,
        version: str | None,
    ) -> None:
        self._service = service
        self._arguments = (product, user, client, admin, version)
        self._key = new_idempotency_key()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.lease: LeaseInfo | None = None
        self.renewals = 0
        self.last_error: ServiceError | None = None

    @property
    def handle(self) -> str:
        """The current lease handle."""
        assert self.lease is not None
        return self.lease.handle

    def acquire(self) -> LeaseInfo:
        """Request the license and start heartbeating (raises :class:`LicenseDenied`)."""
        self.lease = self._request()
        self._thread = threading.Thread(target=self._beat, name="lls-heartbeat", daemon=True)
        self._thread.start()
        return self.lease

    def _request(self) -> LeaseInfo:
        product, user, client, admin, version = self._arguments
        return self._service.request(product, user, client, admin, version, idempotency_key=self._key)

    def _beat(self) -> None:
        assert self.lease is not None
        while not self._stopped.wait(self.lease.heartbeat_seconds):
            try:
                try:
                    self.lease = self._service.heartbeat(self.lease.handle)
                except ApiError as error:
                    if error.status != 404:
                        raise
                    self.lease = self._request()
                self.renewals += 1
                self.last_error = None
            except ServiceError as error:
                self.last_error = error  # keep trying: the service may come back

    def release(self) -> None:
        """Stop heartbeating and free the license (quietly if the service is gone)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        if self.lease is not None:
            # Expired, or the service stopped: nothing is held any more either way.
            with contextlib.suppress(ServiceError):
                self._service.free(self.lease.handle)
