"""Event sinks (syslog over a real Unix socket, stderr, failure handling) and service settings."""

import io
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from applet.domain.errors import InvalidInput
from applet.service.settings import (
    SETTING_HEARTBEAT,
    SETTING_VIOLATION_INTERVAL,
    ServiceSettings,
    is_loopback,
)
from applet.service.sinks import SinkFanout, StderrSink, SyslogSink
from applet.store import Store
from applet.store.records import EventRecord

EVENT = EventRecord(
    id=7,
    event_id=201,
    type="error",
    source="LicenseService",
    time="2026-11-29T20:00:00+00:00",
    product="SQL Server",
    message="No license was available for user alice using product SQL Server 7.0.",
    parameters=("alice", "SQL Server 7.0"),
)


@pytest.mark.skipif(sys.platform == "win32", reason="Unix datagram sockets")
def test_syslog_sink_sends_an_rfc3164_line(tmp_path: Path) -> None:
    address = str(tmp_path / "log")
    daemon = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    daemon.bind(address)
    daemon.settimeout(5)
    sink = SyslogSink(address)
    try:
        sink.emit(EVENT)
        line = daemon.recv(4096).decode()
    finally:
        sink.close()
        daemon.close()
    # <priority> = facility daemon (3) * 8 + severity error (3) = 27.
    assert line.startswith("<27>LicenseService[")
    assert "Event 201: No license was available for user alice using product SQL Server 7.0." in line


def test_stderr_sink_writes_one_line_per_event() -> None:
    stream = io.StringIO()
    StderrSink(stream).emit(EVENT)
    assert stream.getvalue() == (
        "2026-11-29T20:00:00+00:00  201  error        "
        "No license was available for user alice using product SQL Server 7.0.\n"
    )


class _BrokenSink:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def emit(self, event: EventRecord) -> None:
        self.calls += 1
        raise OSError("disk full")

    def close(self) -> None:
        raise OSError("already gone")


def test_a_failing_sink_is_reported_once_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, stream = _BrokenSink(), io.StringIO()
    fanout = SinkFanout([broken, StderrSink(stream)])
    fanout.deliver([EVENT, EVENT])
    fanout.deliver([EVENT])
    fanout.close()
    assert stream.getvalue().count("\n") == 3
    assert caplog.text.count("event sink broken failed: disk full") == 1
    assert broken.calls == 2  # one try per delivery, not per event


def test_settings_from_the_store_unless_given_on_the_command_line() -> None:
    stored = {SETTING_HEARTBEAT: "5", SETTING_VIOLATION_INTERVAL: "60"}
    settings = ServiceSettings().with_store_settings(stored, explicit=set())
    assert (settings.heartbeat, settings.lease_expiry, settings.violation_interval) == (5.0, 10.0, 60.0)
    flagged = ServiceSettings(heartbeat=2.0).with_store_settings(stored, explicit={"heartbeat"})
    assert (flagged.heartbeat, flagged.violation_interval) == (2.0, 60.0)
    with pytest.raises(InvalidInput, match="number of seconds"):
        ServiceSettings().with_store_settings({SETTING_HEARTBEAT: "often"}, explicit=set())


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (ServiceSettings(host="0.0.0.0"), "without TLS"),
        (ServiceSettings(host="192.168.1.5"), "without TLS"),
        (ServiceSettings(tls_cert=Path("/x.pem")), "both --tls-cert and --tls-key"),
        (ServiceSettings(port=70000), "between 0 and 65535"),
        (ServiceSettings(heartbeat=10, expiry=5), "not be shorter"),
    ],
)
def test_settings_the_service_refuses(settings: ServiceSettings, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        settings.check()


def test_loopback_addresses() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.9.9.9", "::1", "localhost"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "::", "10.0.0.1", "example.org"))


def test_violation_interval_setting_reaches_the_running_service(
    start_service: Callable[..., Any], data_dir: Path
) -> None:
    with Store.open(data_dir) as store:
        store.set_setting(SETTING_VIOLATION_INTERVAL, "90")
        store.products.add("SQL Server", "admin")  # no licenses: every request is denied
    service = start_service()
    assert service.http("GET", "/v1/status")[1]["violation_interval_seconds"] == 90.0
    for user in ("a", "b", "c"):
        assert (
            service.http("POST", "/v1/licenses", {"product": "SQL Server", "user": user})[1]["granted"]
            is False
        )
    service.stop()
    with Store.open(data_dir) as store:
        assert [e.event_id for e in store.events.list(product="SQL Server")].count(201) == 1
