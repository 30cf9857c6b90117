"""The service's log cannot be flooded and never holds a secret: malformed requests make at most one
short line a second, tokens and Authorization values are redacted, the file rotates by size (issue 10,
defect 5)."""

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.client.discovery import find_service
from applet.service import logs


@pytest.fixture
def background(lls: Callable[..., Any], data_dir: Path) -> Iterator[Callable[..., Any]]:
    yield lls
    if find_service(data_dir) is not None:
        lls("service", "stop")


def _send(port: int, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        sock.settimeout(5)
        with contextlib.suppress(OSError):
            sock.recv(65536)


def test_malformed_requests_log_one_short_line_a_second_without_secrets(
    background: Callable[..., Any], data_dir: Path
) -> None:
    started = background("service", "start", "--port", "0")
    assert started.code == 0, started.stderr
    endpoint = find_service(data_dir)
    assert endpoint is not None
    admin, client = endpoint.token(admin=True), endpoint.token()
    assert admin and client
    malformed = [
        f"GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\x00\r\n\r\n".encode(),
        f"POST /v1/licenses HTTP/1.1\r\nAuthorization: Bearer {client}\r\nContent-Length: 5\r\n\r\n"
        "{x:1".encode(),
        b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n",
        f"GET /v1/st\x01tus?{admin} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\nAuthorization: " + admin.encode() + b"\r\n\r\n",
    ]
    begin = time.monotonic()
    for number in range(2000):  # bounded
        _send(endpoint.port, malformed[number % len(malformed)])
    elapsed = time.monotonic() - begin
    assert background("service", "stop").code == 0
    log_dir = data_dir / "logs"
    text = "".join(path.read_text(errors="replace") for path in sorted(log_dir.iterdir()))
    assert admin not in text and client not in text
    assert "Traceback" not in text
    service_log = (log_dir / "service.log").read_text(errors="replace")
    lines = service_log.splitlines()
    assert all(len(line) <= 600 for line in lines)
    # Per kind of message at most one line a second (start, stop and a few kinds of errors aside).
    assert len(lines) <= 10 + 5 * (elapsed + 2), (len(lines), elapsed)
    assert len(service_log.encode()) < 64 * 1024
    assert "suppressed" in service_log  # the count of what was left out is there


def test_redaction_and_rate_limit_of_the_filter() -> None:
    limiter = logs.RedactingRateLimiter(interval=60.0)
    limiter.add_secrets(["s3cr3t-token-value"])
    line = limiter.redact("Authorization: Bearer s3cr3t-token-value\x00 and more")
    assert "s3cr3t" not in line and "[redacted]" in line and line.endswith("? and more")
    assert "abc" not in limiter.redact("header authorization=abc; x")
    assert limiter.redact("x" * 2000).endswith("...") and len(limiter.redact("x" * 2000)) == logs.MAX_LINE

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, message, None, None)

    assert limiter.filter(record("Error handling request"))
    assert not any(limiter.filter(record("Error handling request")) for _ in range(100))
    assert limiter.filter(record("another kind"))
    # A burst that ends within its interval has no later line to carry its count: it is taken for the
    # summary line (report_suppressed), once, and only when asked for everything or after the interval.
    assert limiter.take_suppressed(time.monotonic()) == []
    assert limiter.take_suppressed(time.monotonic(), everything=True) == [("Error handling request", 100)]
    assert limiter.take_suppressed(time.monotonic(), everything=True) == []


def test_the_log_file_rotates_by_size(tmp_path: Path) -> None:
    loggers = [logging.getLogger(name) for name in (logs.LOGGER_NAME, "aiohttp", "asyncio")]
    saved = [(logger.handlers[:], logger.propagate, logger.level) for logger in loggers]
    try:
        logs.configure(tmp_path)
        for number in range(10_000):  # distinct messages, so none is rate-limited
            logs.log.warning(f"message {number} " + "x" * 400)
    finally:
        for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
            for handler in logger.handlers:
                handler.close()
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)
    files = sorted(tmp_path.glob("service.log*"))
    assert [path.name for path in files] == ["service.log", "service.log.1", "service.log.2", "service.log.3"]
    assert all(path.stat().st_size <= logs.MAX_LOG_BYTES for path in files)
