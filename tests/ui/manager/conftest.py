"""Fixtures for License Manager tests: a seeded store, an open window, the real service.

``seeded`` fills the test's store through the repositories (products in both modes, purchases, Per
Seat clients, a license group, events, usage samples); ``manager`` opens the window on it, polling
every 100 ms, and waits until the first tab shows its rows.
"""

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from applet.client.discovery import ServiceEndpoint, find_service
from applet.domain.events import EventId
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.events import NewEvent
from applet.store.paths import resolve_paths
from applet.store.records import SeatUsage, UsageSample
from applet.ui.manager.window import ManagerWindow

ADMIN = "tester"


@pytest.fixture
def seeded(store: Store) -> Store:
    """The test's store with a little of everything License Manager shows."""
    store.products.add(
        "Mail Server", ADMIN, family="Mail", version="5.5", mode=LicenseMode.PER_SEAT, limit=2, agreed=True
    )
    store.products.add("Web Server", ADMIN, mode=LicenseMode.PER_SERVER, limit=3, agreed=True)
    store.ledger.add("Web Server", 2, ADMIN, agreed=True, comment="PO 17")
    mail = store.products.get("Mail Server").product_id
    web = store.products.get("Web Server").product_id
    store.clients.record_usage(
        [
            SeatUsage(mail, "alice", "2026-11-01T09:00:00+00:00", True, count=4),
            SeatUsage(mail, "bob", "2026-11-02T09:00:00+00:00", True, count=2),
            SeatUsage(mail, "carol", "2026-11-03T09:00:00+00:00", False, count=1),
        ]
    )
    store.products.record_peaks({web: 4})
    now = int(time.time() // 60)
    store.usage.record_samples([UsageSample(web, now - 120 + i, (i * 7) % 5, 1, 0) for i in range(120)])
    store.events.append(
        [
            NewEvent(EventId.NO_LICENSE, ("dave", "Web Server"), "Web Server"),
            NewEvent(EventId.OVER_LICENSED, (4, "Web Server", 3), "Web Server"),
        ]
    )
    return store


@pytest.fixture
def open_manager(qtbot: QtBot, data_dir: Path) -> Iterator[Callable[[], ManagerWindow]]:
    """Open License Manager windows on the test's store (closed at the end)."""
    windows: list[ManagerWindow] = []

    def open_window() -> ManagerWindow:
        window = ManagerWindow(resolve_paths(data_dir), poll_interval_ms=100)
        qtbot.addWidget(window)
        window.show()
        window.start()
        windows.append(window)
        return window

    yield open_window
    for window in windows:
        window.close()


@pytest.fixture
def manager(seeded: Store, open_manager: Callable[[], ManagerWindow], qtbot: QtBot) -> ManagerWindow:
    """License Manager on the seeded store, Products View loaded."""
    window = open_manager()
    qtbot.waitUntil(lambda: window.products.model.rowCount() == 3)
    return window


class ServiceProcess:
    """A real ``lls service run`` on the test's store."""

    def __init__(self, process: subprocess.Popen[str], endpoint: ServiceEndpoint, log: Path) -> None:
        self.process = process
        self.endpoint = endpoint
        self.log = log

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


@pytest.fixture
def running_service(data_dir: Path, tmp_path: Path, qtbot: QtBot) -> Iterator[ServiceProcess]:
    """Start the real service (port 0) on the test's store and wait until it answers."""
    log = tmp_path / "service.log"
    with open(log, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "service", "run", "--port", "0"],
            stdout=handle,
            stderr=handle,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    found: list[ServiceEndpoint] = []

    def ready() -> bool:
        assert process.poll() is None, log.read_text()
        endpoint = find_service(data_dir)
        if endpoint is not None and endpoint.pid == process.pid:
            found.append(endpoint)
            return True
        return False

    service = ServiceProcess(process, None, log)  # type: ignore[arg-type]
    try:
        qtbot.waitUntil(ready, timeout=20_000)
        service.endpoint = found[-1]
        yield service
    finally:
        service.stop()
