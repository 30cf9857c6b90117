"""Fixtures for service tests: the real service as a subprocess on an ephemeral port.

``start_service(*options)`` runs ``python -m applet --data-dir D service run --port 0 ...`` and waits
until the endpoint file names that process and its port answers (what ``find_service`` checks).
Every started service is stopped (SIGTERM, then SIGKILL) at the end of the test.
"""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from applet.client.api import ServiceClient
from applet.client.discovery import ServiceEndpoint, find_service

START_TIMEOUT = 20.0


@dataclass
class RunningService:
    """A service subprocess and how to talk to it."""

    process: subprocess.Popen[str]
    data_dir: Path
    endpoint: ServiceEndpoint
    log: Path
    clients: list[ServiceClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.endpoint.url

    def token(self, admin: bool = False) -> str:
        token = self.endpoint.token(admin)
        assert token is not None
        return token

    def client(self, admin: bool = False) -> ServiceClient:
        client = ServiceClient(self.endpoint, admin=admin)
        self.clients.append(client)
        return client

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = "client",
        raw: bytes | None = None,
        timeout: float = 10,
    ) -> tuple[int, Any]:
        """One raw HTTP call; returns (status, decoded JSON body)."""
        headers = {"Content-Type": "application/json"}
        if token == "client":
            headers["Authorization"] = f"Bearer {self.token()}"
        elif token == "admin":
            headers["Authorization"] = f"Bearer {self.token(admin=True)}"
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            content = error.read()
            error.close()
            return error.code, json.loads(content) if content else None

    def stop(self) -> int:
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=15)

    def kill(self) -> None:
        for client in self.clients:
            client.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)


def launch(
    data_dir: Path,
    options: tuple[str, ...],
    log: Path,
    open_files: tuple[int, int] | None = None,
    timeout: float = START_TIMEOUT,
) -> RunningService:
    """Start a service and wait until it is reachable (fails the test with its log otherwise).

    ``open_files`` (soft, hard) starts it under that open-files limit, as ``ulimit -n`` would. The
    benchmarks call this too, with a longer ``timeout`` for a master on a large enterprise database.
    """
    command = [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "service", "run", "--port", "0"]
    if open_files is not None:
        # Set the limit, then become the service (same PID): what a shell's `ulimit -n` does.
        limit = (
            "import os, resource, sys; "
            f"resource.setrlimit(resource.RLIMIT_NOFILE, {open_files!r}); "
            "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
        )
        command = [sys.executable, "-c", limit, *command[1:]]
    handle = open(log, "a", encoding="utf-8")  # noqa: SIM115 - the child writes to it until it exits
    process = subprocess.Popen(
        [*command, *options], stdout=handle, stderr=handle, stdin=subprocess.DEVNULL, text=True
    )
    handle.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoint = find_service(data_dir)
        if endpoint is not None and endpoint.pid == process.pid:
            return RunningService(process, data_dir, endpoint, log)
        if process.poll() is not None:
            pytest.fail(f"service exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"service did not start within {timeout} s:\n{log.read_text()}")


@pytest.fixture
def start_service(data_dir: Path, tmp_path: Path) -> Iterator[Callable[..., RunningService]]:
    """Start the real service on the test's data folder (options are ``service run`` flags)."""
    started: list[RunningService] = []

    def start(
        *options: str, folder: Path | None = None, open_files: tuple[int, int] | None = None
    ) -> RunningService:
        service = launch(folder or data_dir, options, tmp_path / f"service-{len(started)}.log", open_files)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def service(start_service: Callable[..., RunningService]) -> RunningService:
    """A service with short lease timing (heartbeat 1 s, expiry 2 s) on the test's store."""
    return start_service("--heartbeat", "1", "--expiry", "2")


def poll_until(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> float:
    """Poll ``condition`` until true; returns the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def wait_for() -> Callable[..., float]:
    """:func:`poll_until` as a fixture (test modules cannot import conftest under importlib mode)."""
    return poll_until


@pytest.fixture
def lock_holder(data_dir: Path) -> Iterator[Callable[..., "subprocess.Popen[str]"]]:
    """Start a process that holds the store's service lock, as a running (or stuck) service would.

    ``ignore_sigterm=True`` makes it a stuck one. Every holder is killed at the end of the test.
    """
    holders: list[subprocess.Popen[str]] = []

    def hold(ignore_sigterm: bool = False) -> "subprocess.Popen[str]":
        code = (
            "import fcntl, os, signal, sys, time\n"
            f"if {ignore_sigterm!r}: signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "os.makedirs(os.path.dirname(sys.argv[1]), mode=0o700, exist_ok=True)\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n"
        )
        holder = subprocess.Popen(
            [sys.executable, "-c", code, str(data_dir / "service.lock")], stdout=subprocess.PIPE, text=True
        )
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        return holder

    yield hold
    for holder in holders:
        holder.kill()
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()
