"""A master (or a server) administered from another desk: License Manager's enterprise clients.

License Manager connects to a master by its address (``HOST[:PORT]``, as the Enterprise Server box takes
it) with an administrator credential: the master's admin token in a file (its ``tokens/admin.token``,
copied to this desk owner-only). Plain HTTP on loopback; off loopback TLS, checked against the system's
certificate authorities or a certificate file given for this master (a self-signed master's own
``cert.pem``, pinned like the local endpoint's).

Before anything else goes over a new connection the master proves that it holds the same token
(:mod:`applet.domain.proof`) and says its API version; so a wrong or replaced token is refused before
it is sent, and a master of another API version is refused with one message.

:class:`ServerAdminClient` is the same connection to one server of the enterprise, for its
administrative operations (the server's own admin token).

Every failure is a :class:`RemoteError` whose message is one line fit for a status bar:
:class:`RemoteUnreachable` (does not answer, or the token file cannot be read),
:class:`RemoteRefused` (the credential is wrong or was revoked), :class:`RemoteVersionMismatch`,
:class:`NotAMaster` (the service has no enrolled servers) and :class:`RemoteAnswerError` (any other
refusal, with the master's reason).
"""

from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, urlencode

from applet.client.api import (
    ApiError,
    ApiVersionMismatch,
    ServiceClient,
    ServiceError,
    ServiceNotProven,
    ServiceUnavailable,
)
from applet.domain.errors import InvalidInput
from applet.domain.replication import MasterAddress, is_loopback, parse_master_address
from applet.store.endpoint import ServiceEndpoint


class RemoteError(ServiceError):
    """A master or server administered from this desk could not be used; the message says why."""


class RemoteUnreachable(RemoteError):
    """It does not answer, or this desk cannot read its credential."""


class RemoteRefused(RemoteError):
    """It does not accept the credential (wrong, or revoked)."""


class RemoteVersionMismatch(RemoteError):
    """It speaks another version of the API."""


class NotAMaster(RemoteError):
    """The service answers but has no enrolled servers."""


class RemoteAnswerError(RemoteError):
    """It refused a request (bad input, a rule, someone else's change, its database unavailable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RemoteService:
    """A License Logging service on another computer, with its administrator token (thread-safe:
    calls are serialised on one connection). ``role`` names it in messages ("master", "server")."""

    role = "service"

    def __init__(
        self,
        address: str | MasterAddress,
        token_file: str | Path,
        timeout: float = 10.0,
        certificate: str | Path | None = None,
    ) -> None:
        self.address = address if isinstance(address, MasterAddress) else parse_master_address(address)
        self.token_file = Path(token_file)
        tls = not is_loopback(self.address.host)
        scheme = "https" if tls else "http"
        self.endpoint = ServiceEndpoint(
            pid=0,
            host=self.address.host,
            port=self.address.port,
            url=f"{scheme}://{self.address.authority}",
            tls=tls,
            client_token_file=self.token_file,
            admin_token_file=self.token_file,
            started="",
            tls_cert_file=Path(certificate) if certificate else None,
        )
        try:
            self._client = ServiceClient(self.endpoint, admin=True, timeout=timeout)
        except ServiceUnavailable as error:
            raise RemoteUnreachable(
                f"cannot read the administrator token file {self.token_file}: {error}"
            ) from None
        if not self._client.endpoint.token(admin=True):
            raise RemoteUnreachable(f"the administrator token file {self.token_file} is empty")

    def copy(self) -> Self:
        """Another connection to the same service with the same credential (for a second thread)."""
        return type(self)(self.address, self.token_file, self._client.timeout, self.endpoint.tls_cert_file)

    @property
    def name(self) -> str:
        """The address as the administrator typed it (``HOST`` or ``HOST:PORT``)."""
        return str(self.address)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        """``GET path?query``; raises a :class:`RemoteError`."""
        shown = {key: _query_value(value) for key, value in (query or {}).items() if value is not None}
        return self.call("GET", path + ("?" + urlencode(shown) if shown else ""))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call; raises a :class:`RemoteError` whose message names this master or server."""
        word = f"the {self.role} {self.name}"
        try:
            return self._client.call(method, path, body)
        except ApiVersionMismatch as error:
            raise RemoteVersionMismatch(str(error).replace("License Logging service", self.role)) from None
        except ServiceNotProven:
            raise RemoteRefused(
                f"{word} did not accept the token in {self.token_file} (wrong, or replaced on the "
                f"{self.role}), or it is not a License Logging service; nothing was sent"
            ) from None
        except ServiceUnavailable as error:
            raise RemoteUnreachable(f"{word} does not answer: {_detail(error)}") from None
        except ApiError as error:
            if error.status in (401, 403):
                raise RemoteRefused(f"{word} refused the credential in {self.token_file}: {error}") from None
            if error.status == 404 and "not a master" in str(error):
                raise NotAMaster(str(error)) from None
            raise RemoteAnswerError(error.status, f"{word} answered: {error}") from None


class MasterClient(RemoteService):
    """The enterprise views of one master."""

    role = "master"

    # ------------------------------------------------------------------ the enterprise views

    def summary(self) -> dict[str, Any]:
        """The master's name, API version, database and number of servers (a cheap "does it answer")."""
        result: dict[str, Any] = self.get("/v1/enterprise")
        return result

    def purchases(
        self,
        sort: str = "date",
        descending: bool = True,
        text: str = "",
        server: str | None = None,
        offset: int = 0,
        limit: int = 200,
        count: bool = False,
    ) -> dict[str, Any]:
        """A page of the enterprise Purchase History: ``{"rows", "total"}`` (total with ``count``)."""
        query = {"sort": sort, "descending": descending, "filter": text or None, "server": server}
        result: dict[str, Any] = self.get(
            "/v1/enterprise/purchases", {**query, "offset": offset, "limit": limit, "count": count}
        )
        return result

    def products(self) -> list[dict[str, Any]]:
        """Per product: enterprise totals and the breakdown per server."""
        rows: list[dict[str, Any]] = self.get("/v1/enterprise/products")["rows"]
        return rows

    def clients(
        self,
        sort: str = "user",
        descending: bool = False,
        text: str = "",
        offset: int = 0,
        limit: int = 200,
        count: bool = False,
    ) -> dict[str, Any]:
        """A page of enterprise Clients (Per Seat): ``{"rows", "total"}`` (total with ``count``)."""
        query = {"sort": sort, "descending": descending, "filter": text or None}
        result: dict[str, Any] = self.get(
            "/v1/enterprise/clients", {**query, "offset": offset, "limit": limit, "count": count}
        )
        return result

    def servers(self) -> list[dict[str, Any]]:
        """Every server: domain, state, last replication, stale, products reported."""
        rows: list[dict[str, Any]] = self.get("/v1/enterprise/servers")["rows"]
        return rows

    # ------------------------------------------------------------------ the enterprise's purchases

    def add_enterprise_licenses(
        self, product: str, quantity: int, administrator: str, comment: str, agree: bool
    ) -> dict[str, Any]:
        """New License, Per Seat, on the master: an enterprise purchase (the master's answer).

        Enterprise Per Seat licenses are the Per Seat purchases of every server's ledger, the master's
        own included (:mod:`applet.store.enterprise.pools`); an enterprise purchase is one in the
        master's own ledger, with its agreement rule (refused without it, nothing written). A product
        only the servers run is registered on the master with the purchase, in Per Seat mode and in
        one change (the registration's initial licenses), so nothing is left registered when the
        purchase is refused. The master enters its own change into its enterprise views before it
        answers, so the purchase is in them when this returns.
        """
        path = f"/v1/admin/products/{quote(product, safe='')}"
        try:
            self.get(path)
        except RemoteAnswerError as error:
            if error.status != 404:
                raise
            body = {
                "name": product,
                "mode": "per-seat",
                "limit": quantity,
                "agree": agree,
                "comment": comment,
                "administrator": administrator,
            }
            registered: dict[str, Any] = self.call("POST", "/v1/admin/products", body)
            return registered
        body = {
            "quantity": quantity,
            "administrator": administrator,
            "comment": comment,
            "agree": agree,
            "mode": "per-seat",
        }
        purchase: dict[str, Any] = self.call("POST", f"{path}/licenses", body)
        return purchase

    def server_products(self, server: str) -> list[dict[str, Any]]:
        """The products one server reported, with their modes (:class:`RemoteAnswerError` 404: unknown)."""
        if not server or "/" in server:
            raise InvalidInput(f"not a server name: {server!r}")
        rows: list[dict[str, Any]] = self.get(f"/v1/enterprise/servers/{quote(server, safe='')}/products")[
            "rows"
        ]
        return rows

    def product_usage(
        self,
        product: str,
        since: int | None = None,
        until: int | None = None,
        bucket: int = 1,
        server: str | None = None,
        top: int = 5,
    ) -> dict[str, Any]:
        """A product's use over the enterprise between two epoch minutes (default: the last 24 hours):
        ``total``, ``servers`` (the ``top`` with points), ``limit``, ``bucket``
        (:class:`RemoteAnswerError` 404: no such product or server; 400: a bad range)."""
        if not product or "/" in product:
            raise InvalidInput(f"not a product name: {product!r}")
        query = {"since": since, "until": until, "bucket": bucket, "server": server, "top": top}
        result: dict[str, Any] = self.get(f"/v1/enterprise/products/{quote(product, safe='')}/usage", query)
        return result

    def compliance_report(self) -> dict[str, Any]:
        """The enterprise's compliance report: per product the Per Seat pool, the Per Server totals and
        each server's figures (:mod:`applet.store.enterprise.compliance`)."""
        result: dict[str, Any] = self.get("/v1/enterprise/report")
        return result


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _detail(error: Exception) -> str:
    text = " ".join(str(error).split())
    prefix = "the service does not answer: "
    return text[len(prefix) :] if text.startswith(prefix) else text


class ServerAdminClient(RemoteService):
    """One server's administrative operations from another desk: License Manager's remote
    administration (see :mod:`applet.client.server_store` for the design).

    Every change carries the revision the administrator saw (of the product, or of the replication
    settings): when someone else changed it since, the server refuses it (:class:`RemoteAnswerError`
    409) and writes nothing.
    """

    role = "server"

    def product(self, name: str) -> dict[str, Any]:
        """The product as the server stores it: mode, Per Server and Per Seat licenses, revision."""
        result: dict[str, Any] = self.get(f"/v1/admin/products/{quote(name, safe='')}")
        return result

    def products(self) -> list[dict[str, Any]]:
        """Every product of the server with its usage (``GET /v1/products``)."""
        rows: list[dict[str, Any]] = self.get("/v1/products")
        return rows

    def add_licenses(
        self, name: str, quantity: int, administrator: str, comment: str, agree: bool, expected_revision: int
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Add Per Server licenses (agreement to the license terms needed)."""
        body = {
            "quantity": quantity,
            "administrator": administrator,
            "comment": comment,
            "agree": agree,
            "mode": "per-server",
            "expected_revision": expected_revision,
        }
        result: list[dict[str, Any]] | dict[str, Any] = self.call(
            "POST", f"/v1/admin/products/{quote(name, safe='')}/licenses", body
        )
        return result

    def certificates(self, name: str, mode: str = "per-server") -> list[dict[str, Any]]:
        """The product's purchases of ``mode`` with licenses left (``remaining``), newest first."""
        rows: list[dict[str, Any]] = self.get(
            f"/v1/admin/products/{quote(name, safe='')}/certificates", {"mode": mode}
        )
        return rows

    def remove_licenses(
        self,
        name: str,
        quantity: int,
        administrator: str,
        comment: str,
        expected_revision: int,
        certificate: int | None = None,
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Remove Per Server licenses (from ``certificate``, a purchase id; None: newest first)."""
        body: dict[str, Any] = {
            "quantity": quantity,
            "administrator": administrator,
            "comment": comment,
            "mode": "per-server",
            "expected_revision": expected_revision,
        }
        if certificate is not None:
            body["certificate"] = certificate
        result: list[dict[str, Any]] | dict[str, Any] = self.call(
            "POST", f"/v1/admin/products/{quote(name, safe='')}/licenses/remove", body
        )
        return result

    def change_mode(
        self, name: str, mode: str, administrator: str, agree: bool, expected_revision: int
    ) -> dict[str, Any]:
        """Change the licensing mode (Per Server -> Per Seat, one-way, with agreement)."""
        body = {
            "mode": mode,
            "administrator": administrator,
            "agree": agree,
            "expected_revision": expected_revision,
        }
        result: dict[str, Any] = self.call("POST", f"/v1/admin/products/{quote(name, safe='')}/mode", body)
        return result

    def replication(self) -> dict[str, Any]:
        """The server's replication settings (Server Properties' Replication tab), with their revision."""
        result: dict[str, Any] = self.get("/v1/replication")
        return result

    def set_replication(
        self, settings: dict[str, Any], administrator: str, expected_revision: int
    ) -> dict[str, Any]:
        """Change the server's replication settings (``master``, ``enterprise_server``, ``frequency``,
        ``start_at``, ``every_hours``), refused (409, nothing written) when they are no longer at
        ``expected_revision``."""
        body = {**settings, "administrator": administrator, "expected_revision": expected_revision}
        result: dict[str, Any] = self.call("POST", "/v1/admin/replication", body)
        return result
