"""A master server administered from another desk: License Manager's enterprise client.

License Manager connects to a master by its address (``HOST[:PORT]``, as the Enterprise Server box takes
it) with an administrator credential: the master's admin token in a file (its ``tokens/admin.token``,
copied to this desk owner-only). Plain HTTP on loopback; off loopback TLS, checked against the system's
certificate authorities or a certificate file given for this master (a self-signed master's own
``cert.pem``, pinned like the local endpoint's).

Before anything else goes over a new connection the master proves that it holds the same token
(:mod:`applet.domain.proof`) and says its API version; so a wrong or replaced token is refused before
it is sent, and a master of another API version is refused with one message.

Every failure is a :class:`MasterError` whose message is one line fit for a status bar:
:class:`MasterUnreachable` (does not answer, or the token file cannot be read),
:class:`MasterRefused` (the credential is wrong or was revoked), :class:`MasterVersionMismatch`,
:class:`NotAMaster` (the service has no enrolled servers) and :class:`MasterAnswerError` (any other
refusal, with the master's reason).
"""

from pathlib import Path
from typing import Any
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


class MasterError(ServiceError):
    """The master could not be used; the message says why in one line."""


class MasterUnreachable(MasterError):
    """The master does not answer, or this desk cannot read its credential."""


class MasterRefused(MasterError):
    """The master does not accept the credential (wrong, or revoked)."""


class MasterVersionMismatch(MasterError):
    """The master speaks another version of the API."""


class NotAMaster(MasterError):
    """The service answers but has no enrolled servers."""


class MasterAnswerError(MasterError):
    """The master refused a request (bad input, unknown server, its database unavailable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MasterClient:
    """The enterprise views of one master (thread-safe: calls are serialised on one connection)."""

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
            raise MasterUnreachable(
                f"cannot read the administrator token file {self.token_file}: {error}"
            ) from None
        if not self._client.endpoint.token(admin=True):
            raise MasterUnreachable(f"the administrator token file {self.token_file} is empty")

    @property
    def name(self) -> str:
        """The master's address as the administrator typed it (``HOST`` or ``HOST:PORT``)."""
        return str(self.address)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def __enter__(self) -> "MasterClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        """``GET path?query`` on the master; raises a :class:`MasterError`."""
        shown = {key: _query_value(value) for key, value in (query or {}).items() if value is not None}
        target = path + ("?" + urlencode(shown) if shown else "")
        try:
            return self._client.call("GET", target)
        except ApiVersionMismatch as error:
            raise MasterVersionMismatch(str(error).replace("License Logging service", "master")) from None
        except ServiceNotProven:
            raise MasterRefused(
                f"the master {self.name} did not accept the token in {self.token_file} (wrong, or "
                "replaced on the master), or it is not a License Logging service; nothing was sent"
            ) from None
        except ServiceUnavailable as error:
            raise MasterUnreachable(f"the master {self.name} does not answer: {_detail(error)}") from None
        except ApiError as error:
            if error.status in (401, 403):
                raise MasterRefused(
                    f"the master {self.name} refused the credential in {self.token_file}: {error}"
                ) from None
            if error.status == 404 and "not a master" in str(error):
                raise NotAMaster(str(error)) from None
            raise MasterAnswerError(error.status, f"the master {self.name} answered: {error}") from None

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

    def server_products(self, server: str) -> list[dict[str, Any]]:
        """The products one server reported, with their modes (:class:`MasterAnswerError` 404: unknown)."""
        if not server or "/" in server:
            raise InvalidInput(f"not a server name: {server!r}")
        rows: list[dict[str, Any]] = self.get(f"/v1/enterprise/servers/{quote(server, safe='')}/products")[
            "rows"
        ]
        return rows


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _detail(error: Exception) -> str:
    text = " ".join(str(error).split())
    prefix = "the service does not answer: "
    return text[len(prefix) :] if text.startswith(prefix) else text
