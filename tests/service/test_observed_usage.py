"""Observed usage through the running service: real TCP connections to a watched port are counted and
sampled like license requests, and admitted like administrators over the limit (event 221, never 201:
the service cannot refuse a connection it only observes)."""

import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.store import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server
    server.close()


def _connect(port: int, source: str, server: socket.socket) -> list[socket.socket]:
    client = socket.socket()
    client.bind((source, 0))
    client.connect(("127.0.0.1", port))
    return [client, server.accept()[0]]


def test_tcp_connections_are_counted_over_the_limit_and_released(
    listener: socket.socket,
    start_service: Callable[..., Any],
    data_dir: Path,
    lls: Callable[..., Any],
    wait_for: Callable[..., float],
) -> None:
    port = listener.getsockname()[1]
    assert lls("product", "add", "Telnet Server", "--limit", "2", "--agree").code == 0
    assert lls("product", "observe", "Telnet Server", "--tcp-port", str(port)).code == 0
    service = start_service()

    def usage() -> dict[str, Any]:
        return service.http("GET", "/v1/products/Telnet%20Server")[1]

    sockets: list[socket.socket] = []
    try:
        for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.4"):
            sockets += _connect(port, source, listener)
        # Three distinct clients (two connections from one count once), two licenses: the third is
        # connected, so it is counted over the limit, never refused.
        wait_for(lambda: usage()["in_use"] == 3)
        assert (usage()["peak"], usage()["denials"], usage()["requests"]) == (3, 0, 3)
        leases = service.http("GET", "/v1/leases", token="admin")[1]
        assert {lease["observed"] for lease in leases} == {"tcp"}
        assert all(lease["expires_in"] is None for lease in leases)
        for one in sockets:  # everyone leaves
            one.close()
        wait_for(lambda: usage()["in_use"] == 0)
    finally:
        for one in sockets:
            one.close()
    service.stop()
    with Store.open(data_dir) as store:
        logged = [e.event_id for e in store.events.list(product="Telnet Server")]
        over = [e.message for e in store.events.list(product="Telnet Server") if e.event_id == 221]
        samples = store.usage.samples("Telnet Server")
        peak = store.products.get("Telnet Server").peak_in_use
    assert 201 not in logged and over == ["Product Telnet Server needs 3 licenses but only 2 were purchased."]
    assert max(s.max_in_use for s in samples) == 3 and sum(s.denials for s in samples) == 0
    assert peak == 3


def test_turning_observation_off_releases_observed_clients(
    listener: socket.socket,
    start_service: Callable[..., Any],
    lls: Callable[..., Any],
    wait_for: Callable[..., float],
) -> None:
    port = listener.getsockname()[1]
    assert lls("product", "add", "FTP", "--limit", "5", "--agree").code == 0
    service = start_service()
    sockets = _connect(port, "127.0.0.5", listener)
    try:
        assert lls("product", "observe", "FTP", "--tcp-port", str(port)).code == 0
        wait_for(lambda: service.http("GET", "/v1/products/FTP")[1]["in_use"] == 1)
        assert lls("product", "observe", "FTP", "--tcp-port", "0").code == 0
        wait_for(lambda: service.http("GET", "/v1/products/FTP")[1]["in_use"] == 0)
    finally:
        for one in sockets:
            one.close()
