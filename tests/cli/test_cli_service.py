"""``lls service start|stop|status|startup``, ``lls request`` and ``lls free`` as a user runs them."""

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.client.discovery import find_service
from applet.store import Store

Lls = Callable[..., Any]


@pytest.fixture
def background(lls: Lls, data_dir: Path) -> Iterator[Lls]:
    """``lls`` with a background service stopped at the end whatever happens."""
    yield lls
    endpoint = find_service(data_dir)
    if endpoint is not None:
        lls("service", "stop")


def test_start_status_stop(background: Lls, data_dir: Path) -> None:
    result = background("service", "start", "--port", "0", "--json")
    assert result.code == 0, result.stderr
    endpoint = result.json()
    assert endpoint["url"].startswith("http://127.0.0.1:")
    assert find_service(data_dir).pid == endpoint["pid"]  # type: ignore[union-attr]
    status = background("service", "status", "--json")
    assert status.code == 0 and status.json()["status"] == "running"
    assert status.json()["pid"] == endpoint["pid"]
    again = background("service", "start", "--port", "0")
    assert again.code == 1
    assert f"already running on this store (process {endpoint['pid']}" in again.stderr
    text = background("service", "status")
    assert "running" in text.stdout and str(endpoint["pid"]) in text.stdout
    stopped = background("service", "stop")
    assert stopped.code == 0 and "stopped" in stopped.stdout
    assert find_service(data_dir) is None
    after = background("service", "status")
    assert after.code == 4 and "not running" in after.stdout
    assert background("service", "stop").code == 0  # stopping a stopped service is not an error
    with Store.open(data_dir) as store:
        assert [e.event_id for e in store.events.list()][-2:] == [230, 231]


def test_start_refuses_bad_options_before_spawning(lls: Lls, data_dir: Path) -> None:
    for options, words in (
        (["--port", "99999"], "not a TCP port"),
        (["--host", "10.1.2.3"], "without TLS"),
        (["--heartbeat", "soon"], "number of seconds"),
        (
            ["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key", "--host", "0.0.0.0"],
            "not found",
        ),
    ):
        result = lls("service", "start", *options)
        assert result.code == 2, (options, result.stderr)
        assert words in result.stderr and result.stderr.count("\n") == 1
    assert find_service(data_dir) is None


def test_request_and_free_exit_codes(background: Lls, data_dir: Path) -> None:
    assert background("product", "add", "SQL Server", "--limit", "1", "--agree").code == 0
    no_service = background("request", "SQL Server", "--user", "alice")
    assert no_service.code == 4 and "not running" in no_service.stderr
    assert background("free", "whatever").code == 4
    assert background("service", "start", "--port", "0").code == 0
    if os.name == "posix":  # the service log is owner-only like the rest of the data folder
        assert (data_dir / "logs" / "service.log").stat().st_mode & 0o077 == 0
    granted = background("request", "SQL Server", "--user", "alice", "--client", "ws1")
    assert granted.code == 0, granted.stderr
    handle = granted.stdout.strip()
    assert handle and "\n" not in handle
    denied = background("request", "SQL Server", "--user", "bob", "--client", "ws2")
    assert denied.code == 3 and "no license available" in denied.stderr
    admin = background("request", "SQL Server", "--user", "root", "--admin", "--json")
    assert admin.code == 0 and admin.json()["licensed"] is False
    unknown = background("request", "No Such", "--user", "bob")
    assert unknown.code == 2 and "unknown product" in unknown.stderr
    assert background("free", handle).code == 0
    gone = background("free", handle)
    assert gone.code == 2 and "no such license handle" in gone.stderr
    # The administrator still holds one of the 1 licenses: bob waits until they leave too.
    assert background("request", "SQL Server", "--user", "bob", "--client", "ws2").code == 3
    assert background("free", admin.json()["handle"]).code == 0
    assert background("request", "SQL Server", "--user", "bob", "--client", "ws2").code == 0
    started = time.monotonic()
    assert background("service", "stop").code == 0
    # Regression: aiohttp used to linger 10 s on the shutdown request's unread body.
    assert time.monotonic() - started < 5


def test_request_with_a_lease_outlives_the_default_expiry(background: Lls) -> None:
    assert background("product", "add", "SQL Server", "--limit", "1", "--agree").code == 0
    start = background("service", "start", "--port", "0", "--heartbeat", "0.2", "--expiry", "0.5")
    assert start.code == 0, start.stderr
    kept = background("request", "SQL Server", "--user", "alice", "--lease", "30", "--json").json()
    assert kept["lease_seconds"] == 30
    time.sleep(1.2)  # past the service's 0.5 s expiry: only the long lease survives
    assert background("free", kept["handle"]).code == 0
    bad = background("request", "SQL Server", "--user", "alice", "--lease", "-3")
    assert bad.code == 2


def test_startup_without_systemd_says_what_it_cannot_do(lls: Lls) -> None:
    if Path("/run/systemd/system").is_dir():
        pytest.skip("systemd runs here; installing a unit is not a test side effect")
    result = lls("service", "startup", "automatic")
    assert result.code == 1
    assert "systemd is not running" in result.stderr and result.stderr.count("\n") == 1
    assert lls("service", "status", "--json").json()["startup"] == "manual"
    assert lls("service", "startup", "sometimes").code == 2


def test_events_follow_streams_service_events(background: Lls, data_dir: Path) -> None:
    import subprocess
    import sys

    assert background("product", "add", "SQL Server", "--limit", "0").code == 0
    assert background("service", "start", "--port", "0").code == 0
    command = [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "events", "--follow", "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as follower:
        try:
            assert follower.stdout is not None
            assert background("request", "SQL Server", "--user", "mallory").code == 3
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                event = json.loads(follower.stdout.readline())
                if event["event_id"] == 201:
                    assert "mallory" in event["message"]
                    break
            else:
                pytest.fail("event 201 was not streamed")
        finally:
            follower.terminate()
