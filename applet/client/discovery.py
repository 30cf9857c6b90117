"""Finding the running service through the endpoint file it writes into the data folder.

The service writes ``service-endpoint.json`` (see :data:`applet.store.paths.ENDPOINT_FILE`) when it is
ready and removes it when it stops::

    {"pid": 1234, "host": "127.0.0.1", "port": 8765, "url": "http://127.0.0.1:8765",
     "tls": false, "client_token_file": ".../tokens/client.token",
     "admin_token_file": ".../tokens/admin.token", "started": "2026-11-29T20:00:00+00:00"}

With TLS (a non-loopback bind) the document also names the service's certificate,
``"tls_cert_file": "/etc/licensing/cert.pem"``, which local clients trust for this endpoint.

A stale file (the service was killed) is recognised by the port not answering.
"""

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from applet.store.paths import DataPaths, resolve_paths


@dataclass(frozen=True)
class ServiceEndpoint:
    """Where a running service listens and where its tokens are."""

    pid: int
    host: str
    port: int
    url: str
    tls: bool
    client_token_file: Path
    admin_token_file: Path
    started: str
    tls_cert_file: Path | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ServiceEndpoint":
        """Parse the endpoint file's document (raises KeyError/ValueError/TypeError when malformed)."""
        return cls(
            pid=int(data["pid"]),
            host=str(data["host"]),
            port=int(data["port"]),
            url=str(data["url"]),
            tls=bool(data.get("tls", False)),
            client_token_file=Path(data["client_token_file"]),
            admin_token_file=Path(data["admin_token_file"]),
            started=str(data.get("started", "")),
            tls_cert_file=Path(data["tls_cert_file"]) if data.get("tls_cert_file") else None,
        )

    def as_json(self) -> dict[str, Any]:
        """The document written to the endpoint file."""
        document: dict[str, Any] = {
            "pid": self.pid,
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "tls": self.tls,
            "client_token_file": str(self.client_token_file),
            "admin_token_file": str(self.admin_token_file),
            "started": self.started,
        }
        if self.tls_cert_file is not None:
            document["tls_cert_file"] = str(self.tls_cert_file)
        return document

    def token(self, admin: bool = False) -> str | None:
        """The client (or admin) token, if this user may read it."""
        path = self.admin_token_file if admin else self.client_token_file
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def reachable(self, timeout: float = 0.5) -> bool:
        """True when something accepts connections on the endpoint's port."""
        connect_host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if connect_host == "::":
            connect_host = "::1"
        try:
            with socket.create_connection((connect_host, self.port), timeout=timeout):
                return True
        except OSError:
            return False


def read_endpoint(paths: DataPaths) -> ServiceEndpoint | None:
    """The endpoint file's content, or None when absent or unreadable (no liveness check)."""
    try:
        data = json.loads(paths.endpoint.read_text(encoding="utf-8"))
        return ServiceEndpoint.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_endpoint(paths: DataPaths, endpoint: ServiceEndpoint) -> None:
    """Atomically publish the endpoint (owner-only permissions)."""
    temporary = paths.endpoint.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(endpoint.as_json(), handle, indent=2)
    os.replace(temporary, paths.endpoint)


def find_service(data_dir: str | os.PathLike[str] | DataPaths | None = None) -> ServiceEndpoint | None:
    """The running service of this store, or None when it is not running (stale files ignored)."""
    paths = data_dir if isinstance(data_dir, DataPaths) else resolve_paths(data_dir)
    endpoint = read_endpoint(paths)
    if endpoint is None or not endpoint.reachable():
        return None
    return endpoint
