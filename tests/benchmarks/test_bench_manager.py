"""License Manager at scale: 1,000,000 Per Seat client rows, 100,000 purchases, 50 products.

Run: ``python -m pytest tests/benchmarks/test_bench_manager.py -m benchmark -s -q``.

The store is generated once per session with ``executemany`` into a temporary folder. The window runs
in a fresh child process (this file run as a script), offscreen, so its start-up time and peak RSS are
its own. The child prints one JSON document of figures:

* start-up: process start to the first tab (Products View) showing its rows, against a bare PySide6
  window in the same run (target 1.5 s);
* each tab: switching to it until its first rows are shown (target 300 ms);
* Clients: each sort and filter until the first page is back (target 500 ms), against a full-table
  ``COUNT(*)`` of ``seat_clients`` measured in the same child;
* the longest UI-thread stall while a writer process streams usage and events into the store (the way
  the service does, every 100 ms) for several seconds per tab: a 5 ms timer records its lateness
  (target < 100 ms), against the lateness of the same timer in an idle window;
* peak RSS of the child (target < 400 MB).

Assertions only catch gross violations (shared, noisy machines): the figures are printed.
"""

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

CLIENT_ROWS = 1_000_000
PURCHASES = 100_000
PRODUCTS = 50
PRODUCTS_PER_USER = 4
STREAM_SECONDS = 4.0


def generate_store(folder: Path) -> None:
    """The benchmark store: 50 products (20 Per Seat), 100,000 purchases, 1,000,000 client rows."""
    from applet.store import Store

    with Store.open(folder):
        pass
    connection = sqlite3.connect(folder / "licensing.sqlite3", isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN")
    now = "2026-11-29T12:00:00+00:00"
    connection.executemany(
        "INSERT INTO products (name, family, version, mode, peak_in_use, created) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (f"Product {i:02d}", "Bench", "1.0", "per-seat" if i < 20 else "per-server", i * 3, now)
            for i in range(PRODUCTS)
        ],
    )
    ids = [row[0] for row in connection.execute("SELECT id FROM products WHERE family = 'Bench' ORDER BY id")]
    seat_ids = ids[:20]
    rng = random.Random(1)
    connection.executemany(
        "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            (
                ids[i % PRODUCTS],
                "per-seat" if i % PRODUCTS < 20 else "per-server",
                rng.randint(1, 50),
                f"admin{i % 7}",
                f"order {i}",
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:{i % 60:02d}+00:00",
            )
            for i in range(PURCHASES)
        ),
    )
    users = CLIENT_ROWS // PRODUCTS_PER_USER

    def seats() -> object:
        for u in range(users):
            for k in range(PRODUCTS_PER_USER):
                yield (
                    seat_ids[(u + k * 5) % 20],
                    f"user{u:07d}",
                    "2026-01-01T00:00:00+00:00",
                    f"2026-{1 + (u * 7 + k) % 11:02d}-{1 + u % 28:02d}T{u % 24:02d}:00:00+00:00",
                    1 + (u * 31 + k) % 97,
                    int(u % 10 != 0),
                )

    connection.executemany(
        "INSERT INTO seat_clients (product_id, user, first_used, last_used, usage_count, licensed) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        seats(),  # type: ignore[arg-type]
    )
    minute = int(time.time() // 60)
    connection.executemany(
        "INSERT INTO usage_samples (product_id, minute, max_in_use, requests, denials) "
        "VALUES (?, ?, ?, 1, 0)",
        ((ids[25], minute - m, (m * 13) % 40) for m in range(30 * 24 * 60)),
    )
    connection.executemany(
        "INSERT INTO events (event_id, type, source, time, product, message) VALUES (?, ?, ?, ?, ?, ?)",
        (
            (201, "error", "LicenseService", now, f"Product {i % PRODUCTS:02d}", f"No license for user{i}")
            for i in range(20_000)
        ),
    )
    connection.execute("COMMIT")
    connection.close()


@pytest.fixture(scope="session")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("manager-bench") / "data"
    start = time.perf_counter()
    generate_store(folder)
    print(
        f"\n[manager] generated {CLIENT_ROWS:,} client rows, {PURCHASES:,} purchases in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return folder


WRITER = """
import sys, time
from applet.store import Store
from applet.store.events import NewEvent
from applet.domain.events import EventId
from applet.store.records import SeatUsage
store = Store.open(sys.argv[1])
product = store.products.get("Product 00").product_id
deadline = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < deadline:
    when = "2026-11-29T12:00:00+00:00"
    store.clients.record_usage([SeatUsage(product, f"stream{n}-{i}", when, True) for i in range(200)])
    store.events.append([NewEvent(EventId.NO_LICENSE, (f"stream{n}", "Product 30"), "Product 30")])
    store.products.record_peaks({product: n})
    n += 1
    time.sleep(0.1)
print(n)
"""


def child(data_dir: str, started: float) -> None:
    """Run the window and print the figures (the benchmark runs this in a fresh process)."""
    import resource

    from window_timing import longest_stall_ms, wait_until

    from applet.store.paths import resolve_paths
    from applet.ui.app import application
    from applet.ui.manager.window import CLIENTS, EVENTS, HISTORY, PRODUCTS, SERVERS, ManagerWindow

    figures: dict[str, object] = {}
    app = application(["bench"])

    def wait(predicate: Callable[[], object], timeout: float = 30.0) -> None:
        wait_until(predicate, timeout)

    arrived: set[int] = set()
    window = ManagerWindow(resolve_paths(data_dir))
    window.refreshed.connect(arrived.add)
    window.tabs.setCurrentIndex(PRODUCTS)
    window.show()
    window.start()
    wait(lambda: PRODUCTS in arrived)
    figures["first_tab_s"] = time.time() - started
    figures["products_rows"] = window.products.model.rowCount()

    tabs: dict[str, float] = {}
    for name, tab in (("history", HISTORY), ("clients", CLIENTS), ("servers", SERVERS), ("events", EVENTS)):
        arrived.discard(tab)
        begin = time.perf_counter()
        window.tabs.setCurrentIndex(tab)
        wait(lambda tab=tab: tab in arrived)
        tabs[name] = (time.perf_counter() - begin) * 1000
    figures["tab_first_rows_ms"] = tabs

    # Clients: sorting and filtering (each until the first page is back).
    window.tabs.setCurrentIndex(CLIENTS)
    model = window.clients.model
    sorts: dict[str, float] = {}
    from PySide6.QtCore import Qt

    for label, column, order in (
        ("licensed desc", 1, Qt.SortOrder.DescendingOrder),
        ("unlicensed desc", 2, Qt.SortOrder.DescendingOrder),
        ("products asc", 3, Qt.SortOrder.AscendingOrder),
        ("last used desc", 4, Qt.SortOrder.DescendingOrder),
        ("user desc", 0, Qt.SortOrder.DescendingOrder),
        ("user asc", 0, Qt.SortOrder.AscendingOrder),
    ):
        done: list[bool] = []
        model.loaded.connect(lambda done=done: done.append(True))
        begin = time.perf_counter()
        window.clients.view.sortByColumn(column, order)
        wait(lambda done=done: bool(done))
        sorts[label] = (time.perf_counter() - begin) * 1000
        model.loaded.disconnect()
        model.loaded.connect(window.clients.data_loaded)
    filters: dict[str, float] = {}
    for label, text, product in (
        ("user text", "user01234", None),
        ("product", "", "Product 03"),
        ("text + product", "99", "Product 07"),
        ("cleared", "", None),
    ):
        done = []
        model.loaded.connect(lambda done=done: done.append(True))
        begin = time.perf_counter()
        window.clients.filter.setText(text)
        window.clients.product_choice.setCurrentIndex(max(0, window.clients.product_choice.findData(product)))
        window.apply_filters()
        wait(lambda done=done: bool(done))
        filters[label] = (time.perf_counter() - begin) * 1000
        model.loaded.disconnect()
        model.loaded.connect(window.clients.data_loaded)
    figures["clients_sort_ms"] = sorts
    figures["clients_filter_ms"] = filters
    # Scroll: ten more pages.
    begin = time.perf_counter()
    for _ in range(10):
        wait(lambda: model.canFetchMore())
        model.fetchMore()
    wait(lambda: not model.loading)
    figures["clients_ten_pages_ms"] = (time.perf_counter() - begin) * 1000
    figures["clients_rows_loaded"] = model.rowCount()

    connection = sqlite3.connect(Path(data_dir) / "licensing.sqlite3")
    begin = time.perf_counter()
    connection.execute("SELECT COUNT(*), SUM(usage_count) FROM seat_clients").fetchone()
    figures["baseline_full_scan_ms"] = (time.perf_counter() - begin) * 1000
    connection.close()

    figures["idle_stall_ms"] = longest_stall_ms(1.0)
    stalls: dict[str, float] = {}
    for name, tab, sort_column in (
        ("products", PRODUCTS, None),
        ("clients", CLIENTS, None),
        ("clients by last used", CLIENTS, 4),
        ("events", EVENTS, None),
        ("history", HISTORY, None),
    ):
        window.tabs.setCurrentIndex(tab)
        if sort_column is not None:
            # The costliest live refresh: every poll re-aggregates a million rows.
            window.clients.view.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder)
            wait(lambda: not model.loading)
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, data_dir, str(STREAM_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        stalls[name] = longest_stall_ms(STREAM_SECONDS)
        writer.communicate(timeout=60)
    figures["streaming_stall_ms"] = stalls
    window.tabs.setCurrentIndex(EVENTS)
    wait(lambda: any("stream" in r.message for r in window.events.model.records()), timeout=5)
    window.close()
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    app.quit()
    print(json.dumps(figures), flush=True)


def _bare_qt_start() -> float:
    script = (
        "from PySide6.QtWidgets import QApplication, QMainWindow\n"
        "from PySide6.QtCore import QTimer\n"
        "app = QApplication([]); w = QMainWindow(); w.show(); QTimer.singleShot(0, app.quit); app.exec()\n"
    )
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    return time.perf_counter() - begin


def test_manager_with_a_million_clients(big_store: Path) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.time()
    completed = subprocess.run(
        [sys.executable, __file__, str(big_store), repr(started)],
        capture_output=True,
        text=True,
        timeout=240,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    bare = _bare_qt_start()
    first = float(figures["first_tab_s"])
    print(
        f"\n[manager] first tab (Products View, {figures['products_rows']} rows) shown "
        f"{first:.2f} s after process start (target 1.5 s); bare PySide6 window {bare:.2f} s; "
        f"ratio {first / bare:.1f}x"
    )
    for name, value in figures["tab_first_rows_ms"].items():
        print(f"[manager] tab {name}: first rows in {value:.0f} ms (target 300 ms)")
    base = float(figures["baseline_full_scan_ms"])
    for group in ("clients_sort_ms", "clients_filter_ms"):
        for name, value in figures[group].items():
            print(
                f"[manager] clients {group.split('_')[1]} {name}: {value:.0f} ms (target 500 ms); "
                f"{value / base:.1f}x a full-table COUNT(*) ({base:.0f} ms)"
            )
    print(
        f"[manager] clients: 10 more pages in {figures['clients_ten_pages_ms']:.0f} ms "
        f"({figures['clients_rows_loaded']:,} rows loaded)"
    )
    idle = float(figures["idle_stall_ms"])
    for name, value in figures["streaming_stall_ms"].items():
        print(
            f"[manager] longest UI-thread stall while streaming, {name} tab: {value:.1f} ms "
            f"(target < 100 ms; idle {idle:.1f} ms)"
        )
    print(f"[manager] peak RSS {figures['peak_rss_mb']:.0f} MB (target < 400 MB)")
    # Gross violations only.
    assert first < 6
    assert max(figures["tab_first_rows_ms"].values()) < 2000
    assert max(figures["clients_sort_ms"].values()) < 3000
    # Sorting by the products list shown costs about what sorting by licensed usage does (it was 3-4x
    # with a per-user subquery; see applet.store.clients.MASK_BITS).
    sorts = figures["clients_sort_ms"]
    assert sorts["products asc"] < 2.5 * sorts["licensed desc"], sorts
    assert max(figures["clients_filter_ms"].values()) < 3000
    assert max(figures["streaming_stall_ms"].values()) < 500
    assert figures["peak_rss_mb"] < 800


if __name__ == "__main__":
    child(sys.argv[1], float(sys.argv[2]))
