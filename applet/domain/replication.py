"""Replication rules that need no I/O: master addresses, the schedule, and the batch contract.

Master address: what an administrator types for a Windows server in the Enterprise Server box -- a
NetBIOS name (``LIC_MASTER``, ``\\\\LICMASTER``), a DNS name, an IPv4 address or a bracketed IPv6
address -- each with an optional ``:port``. A NetBIOS name is one label of letters, digits, hyphens
and underscores (the other marks NetBIOS allows, such as ``!``, no resolver looks up). It is kept as
typed (less the ``\\\\``) and resolved by the operating system's resolver when replication connects,
which on Windows also resolves NetBIOS names.

Schedule (reference §1.6, §6.1): Start At HH:MM replicates once a day, starting up to 15 minutes after
the set time (each server at its own offset, so servers set alike do not all call at once); Start Every
N hours (or ``ReplicationTime`` in seconds, at least 60) replicates at that interval; after a failure the
server retries every 15 minutes until it succeeds.

Batch contract: see :mod:`applet.store.enterprise` (the protocol is described there, where it is kept).
"""

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from applet.domain.errors import InvalidInput

DEFAULT_SERVICE_PORT = 8765
START_AT_SPREAD = timedelta(minutes=15)
RETRY_INTERVAL_SECONDS = 15 * 60
MIN_EVERY_SECONDS = 60
MAX_EVERY_SECONDS = 72 * 3600

# A DNS label as resolvers accept it in practice: RFC 1123 plus the underscore NetBIOS names carry
# (LIC_MASTER).
_LABEL = re.compile(r"^(?![-_])[A-Za-z0-9_-]{1,63}(?<![-_])$")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


@dataclass(frozen=True)
class MasterAddress:
    """A parsed master server address: ``host`` as typed (no brackets) and the port."""

    host: str
    port: int

    def __str__(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == DEFAULT_SERVICE_PORT else f"{shown}:{self.port}"

    @property
    def authority(self) -> str:
        """``host:port`` for a URL (IPv6 in brackets)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{shown}:{self.port}"


def parse_master_address(value: object) -> MasterAddress:
    """Parse a master server address (see the module docstring) or raise :class:`InvalidInput`."""
    if not isinstance(value, str):
        raise InvalidInput("the master server must be text")
    text = value.strip()
    if text.startswith("\\\\"):
        text = text[2:]
    if not text:
        raise InvalidInput("the master server name must not be empty")
    if len(text) > 260 or _CONTROL.search(text):
        raise InvalidInput(f"not a host name or address: {value!r}")
    port = DEFAULT_SERVICE_PORT
    if text.startswith("["):
        match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?", text)
        if not match:
            raise InvalidInput(f"not a host name or address: {value!r}")
        host, port_text = match.group(1), match.group(2)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidInput(f"not an IPv6 address: {host!r}") from None
    else:
        host, _, port_text = text.partition(":")
        if ":" in port_text:
            raise InvalidInput(f"write an IPv6 address in brackets, as [{text}]:PORT")
        if not _is_host(host):
            raise InvalidInput(
                f"not a host name or address: {value!r} (a NetBIOS name such as LIC_MASTER, "
                "a DNS name, or an address, with an optional :port)"
            )
    if port_text is not None and port_text != "":
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise InvalidInput(f"the port must be 1 to 65535, not {port_text!r}")
        port = int(port_text)
    elif text.endswith(":"):
        raise InvalidInput(f"a port number must follow the colon: {value!r}")
    return MasterAddress(host, port)


def _is_host(host: str) -> bool:
    if not host or len(host) > 253:
        return False
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost`` (where plain HTTP is allowed; elsewhere TLS)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_server_name(value: object) -> str:
    """A server name as enrolment and batches carry it: a host name or NetBIOS name, no port."""
    if not isinstance(value, str) or not _is_host(value.strip().lstrip("\\")):
        raise InvalidInput(f"not a server name: {value!r} (a NetBIOS or DNS name)")
    return value.strip().lstrip("\\")


def parse_every_seconds(value: object) -> int:
    """``ReplicationTime`` in seconds: 60 up to 72 hours."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise InvalidInput(f"the replication interval must be a whole number of seconds, not {value!r}")
    seconds = int(text)
    if not MIN_EVERY_SECONDS <= seconds <= MAX_EVERY_SECONDS:
        raise InvalidInput(
            f"the replication interval must be {MIN_EVERY_SECONDS} to {MAX_EVERY_SECONDS} seconds, "
            f"not {seconds}"
        )
    return seconds


def start_at_offset(server: str) -> timedelta:
    """This server's fixed delay after Start At, under 15 minutes (the same every day)."""
    digest = hashlib.sha256(server.casefold().encode("utf-8")).digest()
    return timedelta(seconds=int.from_bytes(digest[:4], "big") % int(START_AT_SPREAD.total_seconds()))


def next_start_at(now: datetime, start_at: str, server: str) -> datetime:
    """The next daily run after ``now`` (local wall time of ``now``), at Start At plus the offset."""
    hours, minutes = (int(part) for part in start_at.split(":"))
    today = now.replace(hour=hours, minute=minutes, second=0, microsecond=0) + start_at_offset(server)
    return today if today > now else today + timedelta(days=1)


def next_run(
    now: datetime,
    frequency: str,
    start_at: str,
    every_seconds: int,
    last_success: datetime | None,
    last_failure: datetime | None,
    server: str,
    retry_seconds: float = RETRY_INTERVAL_SECONDS,
) -> datetime:
    """When to replicate next.

    A failure more recent than the last success retries ``retry_seconds`` after it. Otherwise Start
    Every runs ``every_seconds`` after the last success (at once when there was none) and Start At
    runs at the first daily time after the last success (the next one when there was none).
    """
    if last_failure is not None and (last_success is None or last_failure > last_success):
        return last_failure + timedelta(seconds=retry_seconds)
    if frequency == "start-at":
        # From the last success: a daily run missed while the service was down happens at once.
        return next_start_at(last_success or now, start_at, server)
    if last_success is None:
        return now
    return last_success + timedelta(seconds=every_seconds)
