"""Reads never delay the batched writes: under a flood of large reads a ``kill -9`` still loses at most
about a second of usage (issue 10, defect 4)."""

import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from applet.client.api import ServiceClient, ServiceError
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.records import SeatUsage

READERS = 16
FLOOD_SECONDS = 4.0
# "About a second": the flush interval plus the time a batch takes to commit on a busy machine.
MAX_LOST_SECONDS = 1.5


def _read_flood(url: str, token: str, stop: threading.Event, reads: list[int]) -> None:
    request = urllib.request.Request(
        url + "/v1/clients?limit=10000", headers={"Authorization": f"Bearer {token}"}
    )
    for _ in range(10_000):  # bounded; stops with the service
        if stop.is_set():
            return
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            reads.append(1)
        except OSError:
            return


def test_kill_9_under_a_read_flood_loses_at_most_about_a_second(
    start_service: Callable[..., Any], data_dir: Path
) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=100_000, agreed=True)
        [product] = [p.product_id for p in store.products.list() if p.name == "Exchange"]
        when = "2026-01-01T00:00:00+00:00"
        store.clients.record_usage(
            [SeatUsage(product, f"old-user-{n:05d}", when, True) for n in range(10_000)]
        )
    service = start_service()
    token = service.token()
    stop = threading.Event()
    reads: list[int] = []
    readers = [
        threading.Thread(target=_read_flood, args=(service.url, token, stop, reads)) for _ in range(READERS)
    ]
    for reader in readers:
        reader.start()
    uses: list[tuple[float, str]] = []
    began = time.monotonic()
    with ServiceClient(service.endpoint) as client:
        number = 0
        while time.monotonic() - began < FLOOD_SECONDS:
            user = f"new-user-{number:05d}"
            try:
                client.request("Exchange", user)
            except ServiceError:
                break
            uses.append((time.monotonic(), user))
            number += 1
        killed_at = time.monotonic()
        service.kill()
    stop.set()
    for reader in readers:
        reader.join(15)
    assert len(reads) >= 4 and len(uses) > 50, (len(reads), len(uses))
    with Store.open(data_dir) as store:
        saved = {row.user for row in store.clients.usage("Exchange", limit=100_000)}
    lost = [when for when, user in uses if user not in saved]
    oldest_lost = killed_at - min(lost) if lost else 0.0
    print(f"\n{len(reads)} large reads, {len(uses)} uses; lost {len(lost)} from the last {oldest_lost:.2f} s")
    assert oldest_lost <= MAX_LOST_SECONDS


def _niceness_of_threads(pid: int) -> set[int]:
    # /proc/PID/task/TID/stat: field 19 is the nice value (counted after the command's parenthesis).
    return {
        int(stat.read_text().rsplit(")", 1)[1].split()[16])
        for stat in Path(f"/proc/{pid}/task").glob("*/stat")
    }


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
def test_the_reader_thread_yields_the_cpu_to_license_requests(
    start_service: Callable[..., Any], data_dir: Path
) -> None:
    service = start_service()
    pid = service.process.pid
    own = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    with urllib.request.urlopen(
        urllib.request.Request(
            service.url + "/v1/clients", headers={"Authorization": f"Bearer {service.token()}"}
        ),
        timeout=10,
    ) as response:
        assert response.status == 200  # the reader thread exists once it has read
    assert _niceness_of_threads(pid) == {own, min(19, own + 10)}
