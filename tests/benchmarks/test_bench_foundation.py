"""Foundation figures: CLI start-up, the Products View summary at scale, and batched usage recording.

Run: ``python -m pytest tests/benchmarks/test_bench_foundation.py -s -q``. Each benchmark prints its
figures and a ratio against a baseline measured in the same run (machines here are shared and noisy:
medians and ratios, not absolute times). Assertions only catch gross regressions.
"""

import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.records import SeatUsage

pytestmark = pytest.mark.benchmark

PRODUCTS = 50
SEAT_CLIENTS = 1_000_000
PURCHASES = 100_000
UPDATES = 1_000_000
BATCH = 10_000


def _median_wall(command: list[str], runs: int = 10) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_cli_product_list_start_up(data_dir: Path) -> None:
    lls = Path(sys.executable).with_name("lls")
    command = [str(lls)] if lls.exists() else [sys.executable, "-m", "applet"]
    subprocess.run(
        [*command, "--data-dir", str(data_dir), "product", "list"], check=True, capture_output=True
    )
    baseline = _median_wall([sys.executable, "-c", "import sqlite3"])
    measured = _median_wall([*command, "--data-dir", str(data_dir), "--json", "product", "list"])
    ratio = measured / baseline
    print(
        f"\n[cli] lls --json product list: median {measured * 1000:.1f} ms; "
        f"python -c 'import sqlite3': {baseline * 1000:.1f} ms; ratio {ratio:.2f}x (target <= 4x)"
    )
    assert ratio < 8, "the CLI start-up regressed grossly (Qt or aiohttp in the import path?)"


def _populate(store: Store) -> list[int]:
    """50 Per Seat products, 100,000 ledger lines, 1,000,000 per-seat client rows (direct inserts)."""
    product_ids = [
        store.products.add(f"Product {i:02d}", "bench", mode=LicenseMode.PER_SEAT).product_id
        for i in range(PRODUCTS)
    ]
    rng = random.Random(7)
    now = "2026-11-29T12:00:00+00:00"
    connection = store.db.connection
    with store.db.transaction():
        connection.executemany(
            "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created) "
            "VALUES (?, 'per-seat', ?, 'bench', '', ?)",
            ((rng.choice(product_ids), rng.randint(1, 20), now) for _ in range(PURCHASES)),
        )
        connection.executemany(
            "INSERT INTO seat_clients (product_id, user, first_used, last_used, usage_count, licensed) "
            "VALUES (?, ?, ?, ?, 1, ?)",
            ((product_ids[i % PRODUCTS], f"user{i}", now, now, int(i % 7 != 0)) for i in range(SEAT_CLIENTS)),
        )
    return product_ids


def test_store_scale_summary_and_usage_recording(tmp_path: Path) -> None:
    with Store.open(tmp_path / "big") as store:
        start = time.perf_counter()
        _populate(store)
        print(
            f"\n[store] populated {SEAT_CLIENTS:,} clients + {PURCHASES:,} purchases "
            f"in {time.perf_counter() - start:.1f} s"
        )
        store.usage.summaries()  # warm the page cache like an open window would
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            summaries = store.usage.summaries()
            timings.append(time.perf_counter() - start)
        assert len(summaries) == PRODUCTS + 1
        assert sum(s.per_seat_allocated + s.per_seat_unlicensed for s in summaries) == SEAT_CLIENTS
        summary_ms = statistics.median(timings) * 1000
        print(
            f"[store] per-product summary of {PRODUCTS} products: "
            f"median {summary_ms:.1f} ms (target < 200 ms)"
        )
        assert summary_ms < 1000

    # Recording: the store's batched path vs a bare executemany, each into a fresh store of the same schema.
    template = tmp_path / "template"
    with Store.open(template) as fresh:
        ids = [
            fresh.products.add(f"P{i}", "bench", mode=LicenseMode.PER_SEAT).product_id
            for i in range(PRODUCTS)
        ]
    when = "2026-11-29T12:00:00+00:00"
    rows = [(ids[i % PRODUCTS], f"user{i}", when, when, 1, 1) for i in range(UPDATES)]

    bare_dir = tmp_path / "bare"
    shutil.copytree(template, bare_dir)
    with Store.open(bare_dir) as bare:
        connection: sqlite3.Connection = bare.db.connection
        start = time.perf_counter()
        for offset in range(0, UPDATES, BATCH):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO seat_clients (product_id, user, first_used, last_used, usage_count, licensed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows[offset : offset + BATCH],
            )
            connection.execute("COMMIT")
        bare_rate = UPDATES / (time.perf_counter() - start)

    store_dir = tmp_path / "store"
    shutil.copytree(template, store_dir)
    updates = [SeatUsage(ids[i % PRODUCTS], f"user{i}", when, True) for i in range(UPDATES)]
    with Store.open(store_dir) as target:
        start = time.perf_counter()
        for offset in range(0, UPDATES, BATCH):
            target.clients.record_usage(updates[offset : offset + BATCH])
        store_rate = UPDATES / (time.perf_counter() - start)
        # A second pass over the same users: the upsert path (last used, usage count).
        start = time.perf_counter()
        for offset in range(0, UPDATES, BATCH):
            target.clients.record_usage(updates[offset : offset + BATCH])
        repeat_rate = UPDATES / (time.perf_counter() - start)
        assert target.clients.usage(user="user5")[0].usage_count == 2
    ratio = store_rate / bare_rate
    print(
        f"[store] recording {UPDATES:,} usage updates in batches of {BATCH:,}: store {store_rate:,.0f}/s, "
        f"bare executemany {bare_rate:,.0f}/s, ratio {ratio:.2f} (target >= 0.5); "
        f"repeat uses (upsert) {repeat_rate:,.0f}/s"
    )
    assert ratio > 0.25
