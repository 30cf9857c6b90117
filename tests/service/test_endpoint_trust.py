"""A stale endpoint file must never hand a token to whoever listens on its port, nor make ``lls`` signal
a process that is not the store's service; another user's ``lls`` must say it cannot tell (issue 10,
defects 1 and 9)."""

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.client.aio import AsyncServiceClient
from applet.client.api import ServiceClient, ServiceNotProven, ServiceUnavailable
from applet.client.discovery import find_service

REPOSITORY = Path(__file__).resolve().parents[2]
# A plausible answer to anything: what a squatter on the port would send back.
FAKE_ANSWER = json.dumps(
    {"status": "running", "service": "License Logging", "client_proof": "0" * 64, "admin_proof": "0" * 64}
).encode()


class FakeListener:
    """Another program listening on the service's port: records every byte, answers 200 JSON."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.received = bytearray()
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with connection:
                connection.settimeout(2)
                data = b""
                for _ in range(100):  # bounded: a request head is a few hundred bytes
                    try:
                        chunk = connection.recv(65536)
                    except OSError:
                        break
                    data += chunk
                    if not chunk or b"\r\n\r\n" in data:
                        break
                self.received += data
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(FAKE_ANSWER)}"
                )
                connection.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n" + FAKE_ANSWER)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()


@pytest.fixture
def squat() -> Iterator[Callable[[int], FakeListener]]:
    listeners: list[FakeListener] = []

    def start(port: int) -> FakeListener:
        listeners.append(FakeListener(port))
        return listeners[-1]

    yield start
    for listener in listeners:
        listener.close()


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process whose PID a stale endpoint file names (as after PID reuse)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait(10)


def _rewrite_endpoint(data_dir: Path, **changes: Any) -> None:
    endpoint_file = data_dir / "service-endpoint.json"
    document = json.loads(endpoint_file.read_text())
    document.update(changes)
    endpoint_file.write_text(json.dumps(document))


def _tokens(data_dir: Path) -> list[bytes]:
    return [
        (data_dir / "tokens" / name).read_text().strip().encode() for name in ("client.token", "admin.token")
    ]


def _leaked(listener: FakeListener, data_dir: Path) -> bool:
    received = bytes(listener.received)
    return b"Bearer" in received or any(token in received for token in _tokens(data_dir))


def test_after_kill_9_nothing_is_sent_to_the_port_and_nothing_signalled(
    start_service: Callable[..., Any],
    lls: Callable[..., Any],
    data_dir: Path,
    squat: Callable[[int], FakeListener],
    bystander: subprocess.Popen[bytes],
) -> None:
    service = start_service()
    port = service.endpoint.port
    service.kill()
    # The endpoint file stays behind; its PID now names an unrelated process; someone takes the port.
    _rewrite_endpoint(data_dir, pid=bystander.pid)
    listener = squat(port)

    status = lls("service", "status")
    assert status.code == 4 and "not running" in status.stdout
    stop = lls("service", "stop")
    assert stop.code == 0 and "not running" in stop.stdout
    assert find_service(data_dir) is None
    with pytest.raises(ServiceUnavailable):
        ServiceClient(data_dir=data_dir, admin=True)
    assert bystander.poll() is None, "lls signalled a process that does not hold the store's lock"
    assert not _leaked(listener, data_dir)


def test_a_listener_that_cannot_prove_itself_gets_no_token(
    start_service: Callable[..., Any],
    lock_holder: Callable[..., Any],
    lls: Callable[..., Any],
    data_dir: Path,
    squat: Callable[[int], FakeListener],
    bystander: subprocess.Popen[bytes],
) -> None:
    service = start_service()
    port = service.endpoint.port
    service.kill()
    listener = squat(port)
    holder = lock_holder()  # the lock is held, and the endpoint names the holder
    _rewrite_endpoint(data_dir, pid=holder.pid)
    status = lls("service", "status")
    assert status.code == 4, status.stdout + status.stderr
    assert "did not prove" in status.stdout
    for admin in (False, True):
        with ServiceClient(data_dir=data_dir, admin=admin) as client, pytest.raises(ServiceNotProven):
            client.status()

    async def asynchronous() -> None:
        async with AsyncServiceClient(data_dir=data_dir) as client:
            await client.status()

    with pytest.raises(ServiceNotProven):
        asyncio.run(asynchronous())
    assert listener.connections >= 4  # it was asked, and only for its proof
    assert not _leaked(listener, data_dir)

    # The endpoint now names an unrelated PID: `stop` signals the lock's holder, never that PID.
    _rewrite_endpoint(data_dir, pid=bystander.pid)
    stop = lls("service", "stop")
    assert stop.code == 0, stop.stderr
    assert holder.wait(10) == -signal.SIGTERM
    assert bystander.poll() is None
    assert not _leaked(listener, data_dir)


def test_the_real_service_proves_itself_and_a_relay_on_another_port_does_not(
    service: Any, squat: Callable[[int], FakeListener]
) -> None:
    with ServiceClient(service.endpoint) as client:
        assert client.status()["status"] == "running"
    # A proof fetched from the real service for its own port does not fit another port.
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        other_port = spare.getsockname()[1]
    relayed = service.endpoint.__class__(**{**service.endpoint.__dict__, "port": other_port})
    listener = squat(other_port)
    with ServiceClient(relayed) as client, pytest.raises(ServiceNotProven):
        client.status()
    assert not _leaked(listener, service.data_dir)
    status, body = service.http("GET", "/v1/hello?nonce=zz", token=None)
    assert status == 400 and "nonce" in body["error"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to run as another user"
)
def test_another_user_is_told_it_cannot_tell(service: Any, data_dir: Path, tmp_path: Path) -> None:
    python = shutil.which("python3.11", path="/usr/bin") or shutil.which("python3", path="/usr/bin")
    if python is None:
        pytest.skip("no system python3 that another user may run")

    def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-m", "applet", "--data-dir", str(data_dir), "service", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPOSITORY), "HOME": "/nonexistent"},
            user=65534,
            group=65534,
            extra_groups=[],
        )

    for action in ("stop", "status"):
        result = as_nobody(action)
        if "No module named" in result.stderr:
            pytest.skip(f"the system python cannot import the project: {result.stderr.strip()}")
        assert result.returncode == 1, (action, result.stdout, result.stderr)
        assert "cannot tell whether the service is running" in result.stderr
        assert result.stderr.count("\n") == 1
    assert service.process.poll() is None
    assert find_service(data_dir) is not None
