"""Observers: TCP clients of a local port (real sockets) and logged-in sessions (utmp records)."""

import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from applet.service.observers import parse_proc_net_tcp, parse_utmp, tcp_clients

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and utmp")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server
    server.close()


def _connect(port: int, source: str) -> socket.socket:
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.bind((source, 0))
    client.connect(("127.0.0.1", port))
    return client


def test_tcp_observer_counts_distinct_remote_addresses(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    assert tcp_clients(port) == set()
    # Three connections from two client addresses (the whole 127/8 is loopback on Linux).
    sockets = [_connect(port, "127.0.0.2"), _connect(port, "127.0.0.2"), _connect(port, "127.0.0.3")]
    accepted = [listener.accept()[0] for _ in sockets]
    try:
        assert tcp_clients(port) == {"127.0.0.2", "127.0.0.3"}
        for one in sockets[:2] + accepted[:2]:
            one.close()
        assert tcp_clients(port) == {"127.0.0.3"}
    finally:
        for one in sockets + accepted:
            one.close()


def test_tcp_observer_ignores_listening_and_other_ports(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen(1)
    client = _connect(other.getsockname()[1], "127.0.0.4")
    try:
        assert tcp_clients(port) == set()
    finally:
        client.close()
        other.close()


def test_tcp_observer_reads_ipv6_connections() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        server.bind(("::1", 0))
    except OSError:
        server.close()
        pytest.skip("no IPv6 loopback here")
    server.listen(1)
    client = socket.create_connection(("::1", server.getsockname()[1]))
    try:
        assert tcp_clients(server.getsockname()[1]) == {"::1"}
    finally:
        client.close()
        server.close()


def test_proc_net_tcp_parsing_of_kernel_lines() -> None:
    lines = [
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid",
        "   0: 0100007F:1F90 0200007F:D431 01 00000000:00000000 00:00000000 00000000  0  0 1 1",
        "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 2 1",
        "   2: 0100007F:1F91 0300007F:D432 01 00000000:00000000 00:00000000 00000000  0  0 3 1",
        "   3: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000500000A:C001 01 0 0",
        "garbage",
    ]
    assert parse_proc_net_tcp(lines, 0x1F90) == {"127.0.0.2", "10.0.0.5"}


def _utmp_record(kind: int, user: str, host: str) -> bytes:
    record = struct.pack(
        "<h2xi32s4s32s256s2hi2i4i20x",
        kind,
        1234,
        b"pts/0",
        b"ts/0",
        user.encode(),
        host.encode(),
        0,
        0,
        0,
        1_700_000_000,
        0,
        0,
        0,
        0,
        0,
    )
    assert len(record) == 384
    return record


def test_sessions_come_from_user_process_records(tmp_path: Path) -> None:
    data = (
        _utmp_record(2, "reboot", "")  # BOOT_TIME: not a session
        + _utmp_record(7, "alice", "")
        + _utmp_record(7, "alice", "")
        + _utmp_record(7, "bob", "10.1.2.3")
        + _utmp_record(8, "gone", "")  # DEAD_PROCESS
    )
    assert parse_utmp(data) == [("alice", "alice"), ("alice", "alice"), ("bob", "10.1.2.3")]
    file = tmp_path / "utmp"
    file.write_bytes(data)
    from applet.service.observers import logged_in_sessions

    assert len(logged_in_sessions(file)) == 3
    assert logged_in_sessions(tmp_path / "missing") == []
