"""Per Seat allocation figures: restoring a recorded allocation (a service start) against replaying the
same first uses, and what settling costs after an administrator's change, in memory and in the store.

Run: ``python -m pytest tests/benchmarks/test_bench_allocation.py -m benchmark -s -q``. Baselines are
measured in the same run (shared, noisy machines: ratios, not absolute times); assertions only catch
gross regressions.
"""

import sqlite3
import time
from pathlib import Path

import pytest

from applet.domain.counting import PerSeatAllocator
from applet.domain.products import LicenseMode
from applet.store import Store

pytestmark = pytest.mark.benchmark

USERS = 200_000
PURCHASED = 150_000
STORE_ROWS = 100_000


def test_restoring_an_allocation_against_replaying_first_uses() -> None:
    users = [f"user{n}" for n in range(USERS)]
    started = time.perf_counter()
    replayed = PerSeatAllocator(PURCHASED)
    for user in users:
        replayed.use(user)
    replay_s = time.perf_counter() - started
    recorded = [(user, replayed.use(user).licensed_order) for user in users]  # what the store keeps

    started = time.perf_counter()
    restored = PerSeatAllocator.restore(PURCHASED, recorded)
    restore_s = time.perf_counter() - started
    assert (restored.allocated, restored.unlicensed_users) == (PURCHASED, USERS - PURCHASED)

    started = time.perf_counter()
    restored.delete("user0")  # a licensed holder freed: the longest-waiting user gets the license
    delete_ms = (time.perf_counter() - started) * 1000
    assert restored.is_licensed(f"user{PURCHASED}") is True
    started = time.perf_counter()
    restored.set_purchased(PURCHASED - 1000)  # a removal: the 1,000 most recently licensed give back
    removal_ms = (time.perf_counter() - started) * 1000
    assert restored.allocated == PURCHASED - 1000
    print(
        f"\n[allocation] {USERS:,} users, {PURCHASED:,} licenses: replaying first uses {replay_s:.2f} s, "
        f"restoring the record {restore_s:.2f} s (ratio {restore_s / replay_s:.2f}); settling after a "
        f"deletion {delete_ms:.0f} ms, after removing 1,000 licenses {removal_ms:.0f} ms"
    )
    assert restore_s < 20 * replay_s


def test_store_settling_after_a_deletion(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        product_id = store.products.add(
            "Mail", "bench", mode=LicenseMode.PER_SEAT, limit=STORE_ROWS // 2, agreed=True
        ).product_id
        connection: sqlite3.Connection = store.db.connection
        now = "2026-11-29T12:00:00+00:00"
        with store.db.transaction():
            connection.executemany(
                "INSERT INTO seat_clients (product_id, user, first_used, last_used, usage_count, licensed, "
                "licensed_order) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (
                    (
                        product_id,
                        f"user{n}",
                        now,
                        now,
                        int(n < STORE_ROWS // 2),
                        n + 1 if n < STORE_ROWS // 2 else None,
                    )
                    for n in range(STORE_ROWS)
                ),
            )
        # Baseline: reading the product's rows once, as the settle must.
        started = time.perf_counter()
        connection.execute(
            "SELECT id, group_id, licensed_order FROM seat_clients WHERE product_id = ? ORDER BY id",
            (product_id,),
        ).fetchall()
        read_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        store.clients.delete("user0", "bench")
        delete_ms = (time.perf_counter() - started) * 1000
        assert store.clients.usage(user=f"user{STORE_ROWS // 2}")[0].licensed
        print(
            f"\n[allocation] store with {STORE_ROWS:,} Per Seat rows: deleting a licensed client and "
            f"settling {delete_ms:.0f} ms, reading the rows alone {read_ms:.0f} ms "
            f"(ratio {delete_ms / read_ms:.1f})"
        )
        assert delete_ms < 60_000
