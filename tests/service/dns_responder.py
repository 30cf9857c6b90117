"""A tiny DNS server for tests: answers SRV queries on 127.0.0.1 over UDP and TCP (same port).

Its messages are built here by hand from RFC 1035 and RFC 2782, independently of
:mod:`applet.domain.dns`, so a mistake there is not mirrored here. ``zones`` maps a query name to:

* a list of ``(priority, weight, port, target)``: NOERROR with those SRV records;
* ``"malformed"``: an SRV record whose data is cut short (the message ends inside it);
* ``"truncated"``: over UDP only the TC flag and no records, over TCP the records of ``name + "+tcp"``;
* ``"servfail"``: SERVFAIL;
* anything else, or a name not in ``zones``: NXDOMAIN.

Point ``lls`` and the service at it with ``LLS_DNS_SERVERS=127.0.0.1:<port>``.
"""

import selectors
import socket
import struct
import threading
from typing import Any


class DnsResponder:
    """Start with ``with DnsResponder() as dns:``; ``dns.address`` is ``127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.zones: dict[str, Any] = {}
        self.queries: list[tuple[str, str]] = []  # (transport, name)
        self._stop = threading.Event()
        self.udp, self.tcp = _bind_pair()
        self.port = int(self.udp.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, name="dns-responder", daemon=True)

    def __enter__(self) -> "DnsResponder":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.udp.close()
        self.tcp.close()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.udp, selectors.EVENT_READ)
            selector.register(self.tcp, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.05):
                    if key.fileobj is self.udp:
                        query, client = self.udp.recvfrom(4096)
                        answer = self._answer(query, "udp")
                        if answer is not None:
                            self.udp.sendto(answer, client)
                    else:
                        connection, _ = self.tcp.accept()
                        with connection:
                            connection.settimeout(5)
                            length = struct.unpack("!H", _read(connection, 2))[0]
                            answer = self._answer(_read(connection, length), "tcp")
                            if answer is not None:
                                connection.sendall(struct.pack("!H", len(answer)) + answer)

    def _answer(self, query: bytes, transport: str) -> bytes | None:
        query_id = struct.unpack("!H", query[:2])[0]
        labels, end = [], 12
        while query[end]:
            labels.append(query[end + 1 : end + 1 + query[end]].decode())
            end += 1 + query[end]
        question = query[12 : end + 5]
        name = ".".join(labels).lower()
        self.queries.append((transport, name))
        zone = self.zones.get(name)
        if zone == "truncated":
            if transport == "udp":
                return _message(query_id, 0, question, [], truncated=True)
            zone = self.zones.get(name + "+tcp")
        if zone == "malformed":
            record = _srv_record(0, 0, 8765, "master.example.test")
            # rdlength says the whole record; the message stops six bytes into its data.
            return _message(query_id, 0, question, [record])[: -(len(record) - 12 - 6)]
        if zone == "servfail":
            return _message(query_id, 2, question, [])
        if not isinstance(zone, list):
            return _message(query_id, 3, question, [])
        return _message(query_id, 0, question, [_srv_record(*entry) for entry in zone])


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same free port of 127.0.0.1."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(5)
        return udp, tcp
    raise RuntimeError("no free port for both UDP and TCP")


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _message(
    query_id: int, rcode: int, question: bytes, records: list[bytes], truncated: bool = False
) -> bytes:
    # QR, RD, RA; TC when asked; the return code in the low four bits.
    flags = 0x8180 | (0x0200 if truncated else 0) | rcode
    return struct.pack("!HHHHHH", query_id, flags, 1, len(records), 0, 0) + question + b"".join(records)


def _srv_record(priority: int, weight: int, port: int, target: str) -> bytes:
    encoded = b"".join(bytes([len(label)]) + label.encode() for label in target.split(".") if label) + b"\0"
    data = struct.pack("!HHH", priority, weight, port) + encoded
    # Owner: a compression pointer to the question's name at byte 12; type SRV, class IN, TTL 60.
    return struct.pack("!HHHIH", 0xC00C, 33, 1, 60, len(data)) + data
