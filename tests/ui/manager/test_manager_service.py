"""End to end: the real service runs, licenses are requested with ``lls request``, and License Manager
shows the new counts and events within 2 seconds without any action; the Start button starts it."""

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from applet.client.discovery import find_service
from applet.store import Store
from applet.ui.manager.window import CLIENTS, EVENTS, PRODUCTS, ManagerWindow

from .conftest import ServiceProcess


def _lls(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "applet", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_usage_from_the_running_service_appears_within_two_seconds(
    seeded: Store,
    running_service: ServiceProcess,
    open_manager: Callable[[], ManagerWindow],
    data_dir: Path,
    qtbot: QtBot,
    snapshot: Callable[[QWidget, str], Path],
    boxes: object,
) -> None:
    window = open_manager()
    qtbot.waitUntil(lambda: "running" in window.status.service.text(), timeout=5000)
    assert not window.status.start_button.isVisible()
    qtbot.waitUntil(lambda: window.products.model.rowCount() == 3)

    # Per Server: five distinct clients on a product licensed for five, the sixth is refused.
    handles = []
    for number in range(6):
        result = _lls(data_dir, "request", "Web Server", "--user", f"u{number}", "--client", f"host{number}")
        assert result.returncode == (0 if number < 5 else 3), result.stderr
        handles.append(result.stdout.strip())
    web = lambda: next(r for r in window.products.model.records() if r.name == "Web Server")  # noqa: E731
    qtbot.waitUntil(lambda: web().per_server_reached >= 5, timeout=2000)
    assert web().compliance.value == "at-limit"  # five at once since the last reset, five licensed
    qtbot.waitUntil(lambda: web().in_use == 5, timeout=2000)
    # One leaves: In Use follows the clients connected now; compliance stays with the peak (issue 9
    # item 6: it used to turn "compliant" here, and "over the limit" again once the service stopped).
    assert _lls(data_dir, "free", handles[0]).returncode == 0
    qtbot.waitUntil(lambda: web().in_use == 4, timeout=3000)
    assert web().per_server_reached == 5 and web().compliance.value == "at-limit"
    snapshot(window, "manager-live-products")

    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == EVENTS
    qtbot.waitUntil(
        lambda: any("host5" in r.message or "u5" in r.message for r in window.events.model.records()),
        timeout=2000,
    )

    # Per Seat: a new user shows up in Clients (Per Seat).
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == CLIENTS
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 3)
    result = _lls(data_dir, "request", "Mail Server", "--user", "zed")
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: "zed" in [r.user for r in window.clients.model.records()], timeout=2000)

    # zed holds a lease now: the service says so, and the client is not deleted.
    row = next(i for i, r in enumerate(window.clients.model.records()) if r.user == "zed")
    window.clients.view.setFocus()
    window.clients.view.selectRow(row)
    boxes.answer(QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
    qtbot.keyClick(window.clients.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(boxes.seen) == 2, timeout=5000)  # type: ignore[attr-defined]
    assert "right now" in boxes.texts[1] and "Mail Server" in boxes.texts[1]  # type: ignore[attr-defined]
    assert seeded.clients.usage(user="zed")
    window.tabs.setCurrentIndex(PRODUCTS)


def test_compliance_judges_the_peak_whether_the_service_runs_or_not(
    seeded: Store,
    running_service: ServiceProcess,
    open_manager: Callable[[], ManagerWindow],
    data_dir: Path,
    qtbot: QtBot,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    """Issue 9 item 6: Products View said "Over the limit" while the service was stopped and
    "Compliant" once it ran; the properties, ``lls product show`` and the report must say the same."""
    web_id = seeded.products.get("Web Server").product_id
    seeded.products.record_peaks({web_id: 7})  # seven at once since the last reset, five purchased
    window = open_manager()
    qtbot.waitUntil(lambda: "running" in window.status.service.text(), timeout=5000)
    model = window.products.model
    web = lambda: next(r for r in model.records() if r.name == "Web Server")  # noqa: E731
    row = lambda: model.records().index(web())  # noqa: E731
    in_use_column = [
        model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())
    ].index("In Use")
    qtbot.waitUntil(lambda: web().in_use == 0, timeout=3000)
    assert web().compliance.value == "over-limit"
    assert model.index(row(), in_use_column).data() == "0"
    snapshot(window, "manager-products-service-running")
    shown = _lls(data_dir, "--json", "product", "show", "Web Server")
    assert shown.returncode == 0 and json.loads(shown.stdout)["compliance"] == "over-limit"

    running_service.stop()
    qtbot.waitUntil(lambda: "stopped" in window.status.service.text(), timeout=5000)
    qtbot.waitUntil(lambda: web().in_use is None, timeout=3000)
    assert web().compliance.value == "over-limit"
    assert model.index(row(), in_use_column).data() == ""  # no live count without the service
    text = _lls(data_dir, "product", "show", "Web Server").stdout
    assert "Over the limit" in text
    report = data_dir / "report.html"
    window.export_compliance_report(report)
    qtbot.waitUntil(report.exists)
    html = report.read_text(encoding="utf-8")
    web_row = next(line for line in html.splitlines() if "<td>Web Server</td>" in line)
    assert "Over the limit" in web_row and ">7<" in web_row


def test_the_start_button_starts_the_service(
    seeded: Store, open_manager: Callable[[], ManagerWindow], data_dir: Path, qtbot: QtBot
) -> None:
    window = open_manager()
    qtbot.waitUntil(lambda: window.status.start_button.isVisible(), timeout=5000)
    # Never the default port: another service on this machine may hold it (the suite hung then).
    window.status.start_port = 0
    try:
        qtbot.mouseClick(window.status.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "running" in window.status.service.text(), timeout=30_000)
        assert not window.status.start_button.isVisible()
    finally:
        _lls(data_dir, "service", "stop")
    assert find_service(data_dir) is None


def test_start_service_offers_a_free_port_when_its_port_is_taken(
    seeded: Store,
    open_manager: Callable[[], ManagerWindow],
    data_dir: Path,
    qtbot: QtBot,
    boxes: object,
) -> None:
    """Issue 14 item 10: a port held by another program gave a raw "[Errno 98]" box."""
    window = open_manager()
    qtbot.waitUntil(lambda: window.status.start_button.isVisible(), timeout=5000)
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        taken = other_program.getsockname()[1]
        window.status.start_port = taken

        # No: nothing starts, and nothing else is said.
        boxes.answer(QMessageBox.StandardButton.No)  # type: ignore[attr-defined]
        qtbot.mouseClick(window.status.start_button, Qt.MouseButton.LeftButton)
        assert boxes.seen == [  # type: ignore[attr-defined]
            (
                "Start Service",
                f"Port {taken} is in use by another program.",
                boxes.seen[0][2],  # type: ignore[attr-defined]
            )
        ]
        assert "free port" in boxes.seen[0][2]  # type: ignore[attr-defined]
        assert window.status.start_button.isEnabled() and find_service(data_dir) is None

        # Yes: the service runs on a port of its own, and no error box follows.
        boxes.answer(QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
        try:
            qtbot.mouseClick(window.status.start_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: "running" in window.status.service.text(), timeout=30_000)
            endpoint = find_service(data_dir)
            assert endpoint is not None and endpoint.port != taken
            assert len(boxes.seen) == 2  # type: ignore[attr-defined]
        finally:
            _lls(data_dir, "service", "stop")


def test_lls_manager_opens_the_window_on_the_store(seeded: Store, data_dir: Path) -> None:
    import os

    completed = subprocess.run(
        [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "manager", "--self-test"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert completed.returncode == 0, completed.stderr
    # It remembered its window: the settings file was written on close.
    assert (data_dir / "license-manager.ini").exists()


def test_deleting_asks_again_when_the_service_cannot_tell(
    seeded: Store,
    running_service: ServiceProcess,
    open_manager: Callable[[], ManagerWindow],
    data_dir: Path,
    qtbot: QtBot,
    boxes: object,
) -> None:
    import json

    # The admin token is out of this user's reach (another account runs the service).
    endpoint_file = data_dir / "service-endpoint.json"
    document = json.loads(endpoint_file.read_text())
    document["admin_token_file"] = str(data_dir / "elsewhere" / "admin.token")
    endpoint_file.write_text(json.dumps(document))
    window = open_manager()
    qtbot.waitUntil(lambda: "running" in window.status.service.text(), timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 3)
    window.clients.view.setFocus()
    window.clients.view.selectRow(0)  # alice
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    boxes.answer(yes, no)  # type: ignore[attr-defined]
    qtbot.keyClick(window.clients.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(boxes.seen) == 2, timeout=5000)  # type: ignore[attr-defined]
    assert "could not say" in boxes.texts[1]  # type: ignore[attr-defined]
    assert seeded.clients.usage(user="alice")
    boxes.answer(yes, yes)  # type: ignore[attr-defined]
    qtbot.keyClick(window.clients.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not seeded.clients.usage(user="alice"), timeout=5000)
