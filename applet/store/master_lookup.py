"""Where this server's master is: the Enterprise Server resolved to addresses, or the domain's master.

In Domain Controller mode (Configure Replication, ``lls replication set --domain-controller [--domain
D]``) the master is, in this order:

1. the domain's master named in configuration: the store setting ``replication.domain_master``
   (HOST[:PORT], what the configuration file's ``[replication]`` section sets);
2. else the DNS SRV record ``_licensing._tcp.<domain>``, where the domain is the one given with
   ``--domain`` (setting ``replication.domain``) or else this machine's DNS domain (from
   :func:`socket.getfqdn`). The records are tried in RFC 2782 order (priority, then weight).

The SRV query is a small RFC 1035 message (:mod:`applet.domain.dns`) sent over UDP to the resolvers
of ``/etc/resolv.conf`` (on Windows, the name servers the TCP/IP service keeps in the registry), one
after the other with a timeout each, and over TCP when the UDP answer comes back truncated. No DNS
library is needed for one record type, and none is in the project's dependencies.

``LLS_DNS_SERVERS`` (``HOST[:PORT]`` separated by commas, port 53 by default) replaces the system's
resolvers: tests point the service and ``lls`` at a DNS responder of their own on 127.0.0.1 with it.

This module is in the store layer because the service, ``lls`` and the applet's dialog all resolve
masters and the store is the lowest layer they share that may do I/O.
"""

import logging
import os
import random
import re
import socket
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from applet.domain.dns import (
    MalformedAnswer,
    SrvAnswer,
    SrvRecord,
    build_query,
    order_records,
    parse_answer,
    srv_name,
)
from applet.domain.errors import InvalidInput
from applet.domain.replication import MasterAddress, parse_master_address

log = logging.getLogger("applet.store.master_lookup")

DNS_SERVERS_ENV = "LLS_DNS_SERVERS"
DNS_PORT = 53
QUERY_TIMEOUT = 3.0
RESOLV_CONF = Path("/etc/resolv.conf")
_MAX_UDP_ANSWER = 4096


class MasterNotFound(Exception):
    """No master could be found or resolved; the message says why (for event 213 and the dialog)."""


class MasterNotConfigured(MasterNotFound):
    """Nothing to look up: the configured master is not an address, or there is no domain to ask DNS."""


@dataclass(frozen=True)
class DomainMaster:
    """The masters found for Domain Controller mode, in the order to try them, and how they were found."""

    addresses: tuple[MasterAddress, ...]
    found_by: str


def find_domain_master(
    configured: str | None, domain: str | None, timeout: float = QUERY_TIMEOUT
) -> DomainMaster:
    """The domain's master (see the module docstring); raises :class:`MasterNotFound` with the reason."""
    if configured:
        try:
            address = parse_master_address(configured)
        except InvalidInput as error:
            raise MasterNotConfigured(
                f"the domain's master in configuration (replication.domain_master): {error}"
            ) from None
        return DomainMaster((address,), "the domain's master in configuration")
    try:
        name = srv_name(domain or machine_domain())
    except InvalidInput as error:
        raise MasterNotConfigured(str(error)) from None
    records = query_srv(name, dns_servers(), timeout)
    addresses = []
    for record in records:
        try:
            addresses.append(parse_master_address(f"{record.target.rstrip('.')}:{record.port}"))
        except InvalidInput as error:
            raise MasterNotFound(f"DNS SRV {name} names an unusable master: {error}") from None
    return DomainMaster(tuple(addresses), f"DNS SRV {name}")


@dataclass(frozen=True)
class Resolution:
    """What Configure Replication and ``lls replication set`` show: the master and its addresses, or
    why there are none (``error``)."""

    master: str
    found_by: str
    addresses: tuple[str, ...]
    error: str

    def __str__(self) -> str:
        if self.error:
            return self.error
        return f"{self.master} \N{RIGHTWARDS ARROW} {', '.join(self.addresses)}"

    def as_dict(self) -> dict[str, object]:
        """For ``--json``."""
        return {
            "master": self.master or None,
            "found_by": self.found_by or None,
            "addresses": list(self.addresses),
            "error": self.error or None,
        }


def resolve_master(
    master: str, enterprise_server: str, configured: str | None = None, domain: str | None = None
) -> Resolution:
    """Resolve the Enterprise Server as typed, or find and resolve the domain's master (``master`` is
    ``enterprise-server`` or ``domain-controller``). Never raises for a master that cannot be found:
    the reason is in the answer."""
    shown = enterprise_server.strip()
    found_by = ""
    try:
        if master == "enterprise-server":
            address = parse_master_address(enterprise_server)
        else:
            found = find_domain_master(configured, domain)
            address, found_by = found.addresses[0], found.found_by
        shown = str(address)
        return Resolution(shown, found_by, resolve_address(address), "")
    except (InvalidInput, MasterNotFound) as error:
        return Resolution(shown, found_by, (), str(error))


def machine_domain() -> str:
    """This machine's DNS domain (``example.com`` of ``host.example.com``)."""
    fqdn = socket.getfqdn()
    _, _, domain = fqdn.partition(".")
    if not domain or domain.isdigit() or domain.rstrip(".") == "localdomain":
        raise MasterNotConfigured(
            f"this machine's name {fqdn!r} has no DNS domain to look up the domain's master in: "
            "give lls replication set --domain-controller --domain DOMAIN, or name the domain's "
            "master in configuration (replication.domain_master)"
        )
    return domain


def resolve_address(address: MasterAddress) -> tuple[str, ...]:
    """The addresses the operating system's resolver gives for ``address`` (``10.1.2.3:8765``).

    On Windows the resolver also resolves NetBIOS names (LIC_MASTER); elsewhere such a name needs an
    entry in the hosts file or a WINS-aware resolver. Raises :class:`MasterNotFound`.
    """
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        raise MasterNotFound(f"cannot resolve {address.host}: {reason}") from None
    found: list[str] = []
    for info in infos:
        host = str(info[4][0])
        shown = f"[{host}]:{address.port}" if ":" in host else f"{host}:{address.port}"
        if shown not in found:
            found.append(shown)
    return tuple(found)


# ---------------------------------------------------------------------------- DNS


def dns_servers() -> list[tuple[str, int]]:
    """The DNS servers to ask: ``$LLS_DNS_SERVERS``, else the system's resolvers."""
    listed = os.environ.get(DNS_SERVERS_ENV, "").strip()
    if listed:
        return [_server_address(part) for part in listed.split(",") if part.strip()]
    if sys.platform == "win32":
        return _windows_dns_servers()
    return _resolv_conf_servers(RESOLV_CONF)


def _server_address(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"\s*(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+))(?::(\d{1,5}))?\s*", text)
    if match is None or (match.group(3) is not None and not 1 <= int(match.group(3)) <= 65535):
        raise MasterNotFound(f"{DNS_SERVERS_ENV}: not a DNS server HOST[:PORT]: {text.strip()!r}")
    return match.group(1) or match.group(2), int(match.group(3) or DNS_PORT)


def _resolv_conf_servers(path: Path) -> list[tuple[str, int]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        raise MasterNotFound(f"cannot read the DNS servers from {path}: {error.strerror}") from None
    servers = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            # A scoped IPv6 address (fe80::1%eth0) keeps its zone: getaddrinfo understands it.
            servers.append((fields[1], DNS_PORT))
    # resolv.conf(5): without a nameserver line the resolver asks the local machine.
    return servers or [("127.0.0.1", DNS_PORT)]


if sys.platform == "win32":
    import winreg

    def _windows_dns_servers() -> list[tuple[str, int]]:
        """Name servers of the TCP/IP service: set by hand (NameServer) or by DHCP (DhcpNameServer)."""
        servers: list[tuple[str, int]] = []
        root = r"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
        keys = [root] + [f"{root}\\Interfaces\\{name}" for name in _registry_subkeys(f"{root}\\Interfaces")]
        for key_name in keys:
            for value_name in ("NameServer", "DhcpNameServer"):
                try:
                    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_name) as key:
                        value = str(winreg.QueryValueEx(key, value_name)[0])
                except OSError:
                    continue
                for server in value.replace(",", " ").split():
                    if (server, DNS_PORT) not in servers:
                        servers.append((server, DNS_PORT))
        return servers

    def _registry_subkeys(key_name: str) -> list[str]:
        names: list[str] = []
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_name) as key:
                while True:
                    try:
                        names.append(winreg.EnumKey(key, len(names)))
                    except OSError:
                        return names
        except OSError:
            return names


def query_srv(name: str, servers: list[tuple[str, int]], timeout: float = QUERY_TIMEOUT) -> list[SrvRecord]:
    """The SRV records of ``name`` in the order to try them; raises :class:`MasterNotFound`.

    Servers are asked one after the other until one answers; an answer that there is no such record
    (NXDOMAIN, or none in the answer) ends the search, as a resolver does.
    """
    if not servers:
        raise MasterNotFound(f"cannot look up DNS SRV {name}: no DNS servers are configured")
    reasons = []
    for host, port in servers:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            answer = _ask(host, port, name, timeout)
        except MalformedAnswer as error:
            reasons.append(f"{where} sent a malformed answer: {error}")
            continue
        except TimeoutError:
            reasons.append(f"{where} did not answer within {timeout:g} s")
            continue
        except OSError as error:
            reasons.append(f"{where}: {error.strerror or error}")
            continue
        if answer.rcode not in (0, 3):
            reasons.append(f"{where} answered {answer.rcode_name}")
            continue
        if not answer.records:
            raise MasterNotFound(f"no DNS SRV record {name} ({answer.rcode_name} from {where})")
        ordered = order_records(answer.records, lambda total: random.randint(0, total))
        if not ordered:
            raise MasterNotFound(f"DNS SRV {name} says the domain has no licensing master (target '.')")
        log.info("DNS SRV %s from %s: %s", name, where, ", ".join(f"{r.target}:{r.port}" for r in ordered))
        return ordered
    raise MasterNotFound(f"cannot look up DNS SRV {name}: {'; '.join(reasons)}")


def _ask(host: str, port: int, name: str, timeout: float) -> SrvAnswer:
    query_id = random.randrange(1 << 16)
    query = build_query(name, query_id)
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(family, socket.SOCK_DGRAM) as udp:
        udp.settimeout(timeout)
        # Connected: the kernel drops datagrams from anyone but this server.
        udp.connect(address)
        udp.send(query)
        while True:
            message = udp.recv(_MAX_UDP_ANSWER)
            if message[:2] == query[:2]:
                break  # an answer to an earlier, timed-out query is not this one's
    answer = parse_answer(message, query_id, name)
    if not answer.truncated:
        return answer
    with socket.create_connection((host, port), timeout=timeout) as tcp:
        tcp.sendall(struct.pack("!H", len(query)) + query)
        length = struct.unpack("!H", _receive(tcp, 2))[0]
        return parse_answer(_receive(tcp, length), query_id, name)


def _receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise MalformedAnswer(f"the TCP answer ends after {len(data)} of {size} bytes")
        data += chunk
    return data
