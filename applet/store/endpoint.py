"""The running service as others find it: its endpoint file and its lock (the format shared by the service,
which writes them, and the CLI, the GUIs and the client library, which read them; DESIGN.md puts such a
format in the lower layer, here, so the service never imports the client).

The service writes ``service-endpoint.json`` (see :data:`applet.store.paths.ENDPOINT_FILE`) when it is
ready and removes it when it stops::

    {"pid": 1234, "host": "127.0.0.1", "port": 8765, "url": "http://127.0.0.1:8765",
     "tls": false, "client_token_file": ".../tokens/client.token",
     "admin_token_file": ".../tokens/admin.token", "started": "2026-11-29T20:00:00+00:00"}

With TLS (a non-loopback bind) the document also names the service's certificate,
``"tls_cert_file": "/etc/licensing/cert.pem"``, which local clients trust for this endpoint.

Whether the service runs is judged by its lock (:func:`service_state`), never by the endpoint
file: the operating system drops the lock when the process dies, even by ``kill -9``, while the file
stays behind, and after that anyone may listen on its port. That is also why a client proves the
listener's identity before it sends a token (:mod:`applet.domain.proof`).
"""

import json
import os
import sys
from dataclasses import dataclass
from enum import Enum
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


class Liveness(Enum):
    """Whether the store's service runs, judged by its lock."""

    RUNNING = "running"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ServiceState:
    """What the service lock says: running or not, which process holds it, or why we cannot tell."""

    liveness: Liveness
    # The PID holding the lock, as the operating system reports it (Linux); None when unknown.
    holder: int | None = None
    reason: str = ""


def service_state(paths: DataPaths) -> ServiceState:
    """Is a service running on this store? ``UNKNOWN`` when this user may not look (another user's
    data folder): nobody may then say "not running"."""
    lock = paths.service_lock
    try:
        status = lock.stat()
    except FileNotFoundError:
        try:
            os.listdir(paths.data_dir)
        except PermissionError as error:
            return ServiceState(Liveness.UNKNOWN, reason=_denied(paths, error))
        except OSError:
            pass  # no data folder: nothing ever ran here
        return ServiceState(Liveness.STOPPED)
    except PermissionError as error:
        return ServiceState(Liveness.UNKNOWN, reason=_denied(paths, error))
    except OSError as error:
        return ServiceState(Liveness.UNKNOWN, reason=f"cannot read {lock}: {error.strerror}")
    holders = _flock_holders(status)
    if holders is not None:
        return ServiceState(Liveness.RUNNING, holders[0]) if holders else ServiceState(Liveness.STOPPED)
    return _probe(paths)


def _denied(paths: DataPaths, error: OSError) -> str:
    return f"this user may not read the data folder {paths.data_dir} ({error.strerror})"


def _flock_holders(status: os.stat_result) -> list[int] | None:
    """PIDs holding a lock on the file (Linux ``/proc/locks``), or None where that is not available.

    Reading the table takes no lock, so looking never disturbs a service that is starting.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/locks", encoding="ascii") as table:
            lines = table.read().splitlines()
    except OSError:
        return None
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    holders = []
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fe:00:56789 0 EOF"; waiters carry "->" and hold nothing.
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device and fields[4].isdigit():
            holders.append(int(fields[4]))
    return holders


def _probe(paths: DataPaths) -> ServiceState:
    """Elsewhere: try to take the lock for an instant (the service retries its own lock briefly)."""
    try:
        fd = os.open(paths.service_lock, os.O_RDWR)
    except PermissionError as error:
        return ServiceState(Liveness.UNKNOWN, reason=_denied(paths, error))
    except OSError:
        return ServiceState(Liveness.STOPPED)
    try:
        if sys.platform == "win32":
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return ServiceState(Liveness.RUNNING)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return ServiceState(Liveness.RUNNING)
            fcntl.flock(fd, fcntl.LOCK_UN)
        return ServiceState(Liveness.STOPPED)
    finally:
        os.close(fd)


def find_service(data_dir: str | os.PathLike[str] | DataPaths | None = None) -> ServiceEndpoint | None:
    """The running service of this store, or None when none runs (a stale endpoint file is ignored)."""
    paths = data_dir if isinstance(data_dir, DataPaths) else resolve_paths(data_dir)
    state = service_state(paths)
    if state.liveness is not Liveness.RUNNING:
        return None
    endpoint = read_endpoint(paths)
    if endpoint is None or (state.holder is not None and endpoint.pid != state.holder):
        return None  # not published yet, or left by an earlier process (a new service is starting)
    return endpoint
