"""Hardening figures: a legitimate client's latency while a local user without tokens attacks, the
service's memory with the lease cap reached, and throughput seen by ``wrk`` against a bare handler.

Run: ``python -m pytest tests/benchmarks/test_bench_hardening.py -m benchmark -s -q``. The service runs
as a subprocess (as in production); every attack runs in its own process, so that the measuring
client's latency is not its own interpreter's. Assertions catch gross regressions only; the targets
are printed next to the figures.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from applet.client.api import ServiceClient
from applet.client.discovery import ServiceEndpoint, find_service
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.records import SeatUsage

pytestmark = pytest.mark.benchmark

PAIRS = 400  # legitimate request+free pairs per measurement
PACE = 0.005  # seconds between them
WRK_SECONDS = 5
WRK_CONNECTIONS = 32

ATTACKER = r"""
import socket, sys, threading, time, urllib.request, urllib.error
kind, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + seconds
url = f"http://127.0.0.1:{port}"

def idle():
    held = []
    for _ in range(1000):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            pass
    print("ready", flush=True)
    while time.monotonic() < end:
        time.sleep(0.1)

def slow_headers():
    held = []
    for _ in range(300):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        except OSError:
            pass
    print("ready", flush=True)
    while time.monotonic() < end:
        for sock in list(held):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                held.remove(sock)
                try:
                    held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
                except OSError:
                    pass
        time.sleep(1.0)

def read_flood():
    token = sys.argv[4]
    def reader():
        headers = {"Authorization": "Bearer " + token}
        request = urllib.request.Request(url + "/v1/clients?limit=10000", headers=headers)
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
            except OSError:
                time.sleep(0.01)
    threads = [threading.Thread(target=reader) for _ in range(16)]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    for thread in threads:
        thread.join()

def request_flood():
    body = b'{"product": "Bench", "user": "mallory"}'
    head = b"POST /v1/licenses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer guess\r\n"
    request = head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    def flooder():
        while time.monotonic() < end:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                for _ in range(50):
                    sock.sendall(request)
                    sock.recv(65536)
                sock.close()
            except OSError:
                time.sleep(0.01)
    threads = [threading.Thread(target=flooder) for _ in range(8)]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    for thread in threads:
        thread.join()

{"idle": idle, "slow": slow_headers, "reads": read_flood, "requests": request_flood}[kind]()
"""

BARE_JSON_SERVER = """
import asyncio, json, sys
from aiohttp import web

async def licenses(request):
    body = json.loads(await request.read())
    answer = {"granted": True, "handle": "x", "product": body.get("product")}
    return web.Response(body=json.dumps(answer).encode(), content_type="application/json")

app = web.Application()
app.router.add_post("/v1/licenses", licenses)
runner = web.AppRunner(app, access_log=None)

async def main():
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
counter = 0
request = function()
    counter = counter + 1
    return wrk.format(nil, "/v1/licenses", nil,
        '{{"product": "Bench", "user": "user' .. counter .. '", "client": "ws' .. (counter % 50) .. '"}}')
end
"""


def _start(data_dir: Path, *options: str) -> tuple[subprocess.Popen[bytes], ServiceEndpoint]:
    command = [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "service", "run", "--port", "0"]
    process = subprocess.Popen([*command, "--background", *options], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        endpoint = find_service(data_dir)
        if endpoint is not None and endpoint.pid == process.pid:
            return process, endpoint
        time.sleep(0.02)
    process.kill()
    pytest.fail("the service did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _latencies(endpoint: ServiceEndpoint) -> list[float]:
    """Milliseconds of PAIRS legitimate request+free pairs, one every PACE seconds, keep-alive."""
    timings = []
    with ServiceClient(endpoint, timeout=10) as client:
        for number in range(PAIRS):
            started = time.perf_counter()
            lease = client.request("Bench", f"legit{number % 20}")
            client.free(lease.handle)
            timings.append((time.perf_counter() - started) * 1000)
            time.sleep(PACE)
    return timings


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@pytest.fixture
def bench_store(data_dir: Path) -> Iterator[Path]:
    with Store.open(data_dir) as store:
        store.products.add("Bench", "bench", limit=100_000, agreed=True)
        store.products.add("Seats", "bench", mode=LicenseMode.PER_SEAT, limit=100_000, agreed=True)
        [seats] = [p.product_id for p in store.products.list() if p.name == "Seats"]
        when = "2026-01-01T00:00:00+00:00"
        store.clients.record_usage([SeatUsage(seats, f"user-{n:05d}", when, True) for n in range(10_000)])
    yield data_dir


def test_latency_of_a_legitimate_client_under_attack(bench_store: Path) -> None:
    service, endpoint = _start(bench_store)
    token = endpoint.token()
    assert token is not None
    rows = []
    try:
        _latencies(endpoint)  # warm-up
        baseline = _latencies(endpoint)
        rows.append(("no attack", baseline))
        for kind, label in (
            ("idle", "1,000 idle connections"),
            ("slow", "300 slow-header connections"),
            ("reads", "read flood: 16 x GET /v1/clients?limit=10000"),
            ("requests", "request flood: 8 x keep-alive POST with a wrong token"),
        ):
            attacker = subprocess.Popen(
                [sys.executable, "-c", ATTACKER, kind, str(endpoint.port), "60", token],
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert attacker.stdout is not None and attacker.stdout.readline().strip() == "ready"
                time.sleep(0.5)
                rows.append((label, _latencies(endpoint)))
            finally:
                attacker.kill()
                attacker.wait(10)
                if attacker.stdout is not None:
                    attacker.stdout.close()
    finally:
        _stop(service)
    print("\n[hardening] legitimate request+free latency (ms), one pair every 5 ms, target p99 <= 20 ms:")
    for label, values in rows:
        print(f"  {label:<58} p50 {statistics.median(values):6.2f}  p99 {_p(values, 0.99):6.2f}")
    assert all(_p(values, 0.99) < 200 for _, values in rows), "grossly over the target"


def test_memory_with_the_lease_cap_reached(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Bench", "bench", limit=1_000_000, agreed=True)
    service, endpoint = _start(data_dir)
    try:
        idle_rss = _rss_mb(service.pid)
        with ServiceClient(endpoint) as client:
            cap = int(client.status()["max_leases"])
            for number in range(cap):
                client.request("Bench", f"user{number}", client=f"ws{number % 1000}")
            status = client.call("POST", "/v1/licenses", {"product": "Bench", "user": "one-more"})
    except Exception as error:  # the 429 is the expected end of the fill
        status = {"error": str(error)}
    try:
        held_rss = _rss_mb(service.pid)
    finally:
        _stop(service)
    print(
        f"\n[hardening] lease cap ({cap:,} leases) reached: service RSS {held_rss:.1f} MB "
        f"(idle {idle_rss:.1f} MB); the next request: {status}"
    )
    assert "maximum" in json.dumps(status) and held_rss < 300


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, token: str, pid: int) -> tuple[float, float]:
    """Requests per second, and the server's CPU microseconds per request."""
    cpu_before = _cpu_seconds(pid)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(token=token))
    try:
        result = subprocess.run(
            ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            timeout=WRK_SECONDS + 30,
        )
    finally:
        Path(script.name).unlink()
    cpu = _cpu_seconds(pid) - cpu_before
    for line in result.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            rate = float(line.split()[1])
            return rate, cpu / (rate * WRK_SECONDS) * 1e6
    pytest.fail(f"wrk printed no rate: {result.stdout} {result.stderr}")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian package wrk)")
def test_wrk_throughput_against_a_bare_aiohttp_handler(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Bench", "bench", limit=1_000_000, agreed=True)
    caps = ("--max-leases", "5000000", "--max-leases-per-client", "5000000")
    service, endpoint = _start(data_dir, *caps)
    bare = subprocess.Popen([sys.executable, "-c", BARE_JSON_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert bare.stdout is not None
        bare_url = f"http://127.0.0.1:{int(bare.stdout.readline())}"
        token = endpoint.token()
        assert token is not None
        with socket.create_connection(("127.0.0.1", endpoint.port)):
            pass
        services, bares = [], []
        for _ in range(2):  # alternate, so a neighbour's load hits both alike
            bares.append(_wrk(bare_url, token, bare.pid))
            services.append(_wrk(endpoint.url, token, service.pid))
    finally:
        _stop(bare)
        _stop(service)
        if bare.stdout is not None:
            bare.stdout.close()
    ratio = statistics.median(r for r, _ in services) / statistics.median(r for r, _ in bares)
    cpu_ratio = statistics.median(c for _, c in bares) / statistics.median(c for _, c in services)
    print(
        f"\n[hardening] wrk -t2 -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s POST /v1/licenses: service "
        f"{', '.join(f'{r:,.0f}' for r, _ in services)}/s, bare aiohttp JSON handler "
        f"{', '.join(f'{r:,.0f}' for r, _ in bares)}/s: ratio {ratio:.2f} (target >= 0.6); server CPU "
        f"per request: service {', '.join(f'{c:.0f}' for _, c in services)} us, bare "
        f"{', '.join(f'{c:.0f}' for _, c in bares)} us: {cpu_ratio:.2f}x the bare handler's speed per core"
    )
    assert ratio > 0.3, "grossly slower than the target"
