"""Observers: usage the service sees by itself, without the program's help.

* :func:`tcp_clients` - the distinct remote addresses with an ESTABLISHED connection to a local TCP
  port (``lls product observe NAME --tcp-port P``). On Linux it reads ``/proc/net/tcp`` and
  ``/proc/net/tcp6``; elsewhere it uses psutil when installed.
* :func:`logged_in_sessions` - the users logged in to this machine (``--sessions``, the default of the
  built-in file-and-print product). On Linux it reads the utmp file (what ``who`` reads); elsewhere
  psutil when installed.

Each returns ``(user, client)`` pairs; the broker counts them like license requests
(:meth:`applet.service.broker.Broker.sync_observed`).
"""

import ipaddress
import socket
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

TCP_ESTABLISHED = "01"
UTMP_FILE = Path("/var/run/utmp")
# struct utmp of glibc on Linux (the same on x86-64 and arm64): type, pid, line, id, user, host,
# exit status, session, time (32-bit seconds and microseconds), address, reserved.
_UTMP_RECORD = struct.Struct("<h2xi32s4s32s256s2hi2i4i20x")
_USER_PROCESS = 7


def _decode_address(hex_address: str) -> str:
    """``0100007F`` (IPv4) or 32 hex digits (IPv6), as the kernel prints them, to text."""
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # IPv6: four 32-bit words, each in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped) if address.ipv4_mapped else str(address)


def parse_proc_net_tcp(lines: Iterable[str], port: int) -> set[str]:
    """Remote addresses of ESTABLISHED connections whose local port is ``port``."""
    clients: set[str] = set()
    for line in lines:
        fields = line.split()
        if len(fields) < 4 or fields[0] == "sl":
            continue
        local, remote, state = fields[1], fields[2], fields[3]
        try:
            local_port = int(local.rsplit(":", 1)[1], 16)
        except (IndexError, ValueError):
            continue
        if local_port != port or state != TCP_ESTABLISHED:
            continue
        try:
            clients.add(_decode_address(remote.rsplit(":", 1)[0]))
        except ValueError:
            continue
    return clients


def tcp_clients(port: int, proc_net: Path = Path("/proc/net")) -> set[str]:
    """Distinct remote addresses connected to local TCP ``port`` now (see the module docstring)."""
    if (proc_net / "tcp").exists():
        clients: set[str] = set()
        for name in ("tcp", "tcp6"):
            try:
                with open(proc_net / name, encoding="ascii") as table:
                    clients |= parse_proc_net_tcp(table, port)
            except FileNotFoundError:
                continue  # no IPv6 in this kernel
        return clients
    return _psutil_tcp_clients(port)


def _psutil_tcp_clients(port: int) -> set[str]:
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError as error:
        raise ObserverUnavailable("counting TCP connections on this system needs psutil") from error
    return {
        connection.raddr.ip
        for connection in psutil.net_connections(kind="tcp")
        if connection.status == psutil.CONN_ESTABLISHED and connection.laddr and connection.laddr.port == port
        if connection.raddr
    }


class ObserverUnavailable(RuntimeError):
    """The system offers no way to observe this kind of usage."""


def parse_utmp(data: bytes) -> list[tuple[str, str]]:
    """``(user, client)`` per logged-in session in a utmp file's bytes.

    The client is the remote host of the session, or the user name for a local login (so two people
    at the console are two clients and one person with two terminals is one).
    """
    sessions: list[tuple[str, str]] = []
    size = _UTMP_RECORD.size
    for offset in range(0, len(data) - size + 1, size):
        fields = _UTMP_RECORD.unpack_from(data, offset)
        if fields[0] != _USER_PROCESS:
            continue
        user = fields[4].split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        host = fields[5].split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        if user:
            sessions.append((user, host or user))
    return sessions


def logged_in_sessions(utmp: Path = UTMP_FILE) -> list[tuple[str, str]]:
    """The sessions logged in now (see the module docstring)."""
    if sys.platform.startswith("linux"):
        try:
            return parse_utmp(utmp.read_bytes())
        except FileNotFoundError:
            return []  # no login records (a container): nobody is logged in
    try:
        import psutil
    except ImportError as error:
        raise ObserverUnavailable("counting sessions on this system needs psutil") from error
    return [(user.name, user.host or user.name) for user in psutil.users()]
