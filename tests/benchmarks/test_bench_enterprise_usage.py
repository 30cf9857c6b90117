"""The enterprise usage chart's endpoint over 1,000 servers' samples, on a real master process.

Run: ``python -m pytest tests/benchmarks/test_bench_enterprise_usage.py -m benchmark -s -q``.

Issue 13's figure: ``GET /v1/enterprise/products/{name}/usage`` answers well under 300 ms with 1,000
servers' samples. The master's SQLite enterprise database holds one product on 1,000 servers with a sample
every minute of the last day (1,440,000 rows), built with set-based SQL, and the chart's sums built by
migration 4's own statements, as a master upgraded with those samples gets them. Measured through
:class:`applet.client.master.MasterClient` as License Manager asks (24 hours in 10-minute buckets, 30
days in 4 hours, 12 months in days; a server alone), against ``GET /v1/enterprise`` (the cheapest
enterprise answer) in the same run. For comparison, summing the raw samples the way the sums replace
(in process, no HTTP): what the answer would cost without them.

Also the cost the sums add to storing samples: a batch of 1,440 samples ingested by the master against
a bare ``executemany`` of the same rows.
"""

import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.client.master import MasterClient
from applet.store import Store
from applet.store.enterprise import open_enterprise
from applet.store.enterprise.batch import parse_batch
from applet.store.enterprise.schema import V4
from tests.service.conftest import launch

pytestmark = pytest.mark.benchmark

SERVERS = 1000
MINUTES = 24 * 60
RUNS = 15
NOW = int(time.time() // 60)
WHEN = "2026-01-01T09:00:00+00:00"

_BUILD = (
    f"""WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {SERVERS - 1})
    INSERT INTO ent_servers (server_key, name, secret_sha256, enrolled, last_seq, last_replication,
        batches, rows_stored)
    SELECT printf('srv%04d.site1.example', n), printf('SRV%04d.site1.example', n), 'benchmark', '{WHEN}',
        1, '{WHEN}', 1, {MINUTES} FROM s""",
    "INSERT INTO ent_origins (origin_key, origin, via_key) SELECT server_key, name, server_key "
    "FROM ent_servers WHERE is_self = 0",
    f"INSERT INTO ent_products (origin_key, product_key, name, mode, per_server_licenses, "
    f"per_seat_licenses, peak, updated, via_seq) SELECT origin_key, 'sql server', 'SQL Server', "
    f"'per-server', 10, 0, (CAST(substr(origin_key, 4, 4) AS INTEGER) * 7) % 13, '{WHEN}', 1 "
    "FROM ent_origins",
    f"""WITH RECURSIVE m(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM m WHERE j < {MINUTES - 1})
    INSERT INTO ent_samples (origin_key, product_key, minute, max_in_use, requests, denials, via_seq)
    SELECT o.origin_key, 'sql server', {NOW} - j,
        (CAST(substr(o.origin_key, 4, 4) AS INTEGER) * 7 + j) % 13, 1, 0, 1 FROM ent_origins o, m""",
    # The sums, as migration 4 builds them from the samples a master already holds.
    V4[1],
    V4[3],
    V4[4],
)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MasterClient, Path]]:
    folder = tmp_path_factory.mktemp("usage-bench") / "master"
    with Store.open(folder):
        pass
    started = time.perf_counter()
    enterprise = open_enterprise(None, folder, "MASTER")
    try:
        with enterprise.db.transaction() as db:
            for statement in _BUILD:
                db.execute(statement)
        rows = enterprise.db.execute("SELECT COUNT(*) FROM ent_samples")[0][0]
    finally:
        enterprise.close()
    assert rows == SERVERS * MINUTES
    print(f"\n[usage] built {rows:,} samples of {SERVERS:,} servers in {time.perf_counter() - started:.1f} s")
    process = launch(folder, (), folder.with_suffix(".log"), timeout=60)
    client = MasterClient(f"127.0.0.1:{process.endpoint.port}", process.endpoint.admin_token_file, timeout=60)
    try:
        yield client, folder
    finally:
        client.close()
        process.stop()


def _median_ms(call: Callable[[], Any]) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def test_usage_endpoint_over_a_thousand_servers(master: tuple[MasterClient, Path]) -> None:
    client, folder = master
    day = client.product_usage("SQL Server", NOW - MINUTES, NOW, bucket=10)
    assert day["bucket"] == 10 and len(day["total"]) == 145 and len(day["servers"]) == SERVERS
    assert sum(1 for server in day["servers"] if server["points"]) == 5
    # Every server's minute counts: the enterprise's highest minute is the sum of a thousand.
    assert max(value for _, value in day["total"]) > 5000
    calls: dict[str, Callable[[], Any]] = {
        "GET /v1/enterprise (baseline)": client.summary,
        "usage, 24 hours / 10 min": lambda: client.product_usage("SQL Server", NOW - MINUTES, NOW, 10),
        "usage, 30 days / 4 h": lambda: client.product_usage("SQL Server", NOW - 30 * MINUTES, NOW, 240),
        "usage, 12 months / 1 day": lambda: client.product_usage(
            "SQL Server", NOW - 365 * MINUTES, NOW, 1440
        ),
        "usage, 12 months, 1 min asked": lambda: client.product_usage("SQL Server", NOW - 365 * MINUTES, NOW),
        "usage, one server, 24 hours": lambda: client.product_usage(
            "SQL Server", NOW - MINUTES, NOW, 10, server="SRV0500.site1.example"
        ),
    }
    results = {label: _median_ms(call) for label, call in calls.items()}
    baseline = results["GET /v1/enterprise (baseline)"][0]
    print(f"\n[usage] {SERVERS:,} servers x {MINUTES:,} minutes; median of {RUNS} (ms); target < 300:")
    for label, (median, best) in results.items():
        print(f"  {label:<34} median {median:7.1f}  best {best:7.1f}  {median / baseline:5.1f}x baseline")

    # What the sums save: the enterprise's line summed from the raw samples (in process, no HTTP).
    import sqlite3

    connection = sqlite3.connect(folder / "enterprise.sqlite3")
    raw = _median_ms(
        lambda: connection.execute(
            "SELECT bucket, MAX(total) FROM (SELECT (minute / 10) * 10 AS bucket, SUM(max_in_use) AS total "
            "FROM ent_samples WHERE product_key = 'sql server' AND minute >= ? AND minute <= ? "
            "GROUP BY minute) t GROUP BY bucket",
            (NOW - MINUTES, NOW),
        ).fetchall()
    )
    connection.close()
    print(
        f"  {'raw samples summed, 24 hours':<34} median {raw[0]:7.1f}  best {raw[1]:7.1f}  (without the sums)"
    )
    assert results["usage, 24 hours / 10 min"][0] < 1000, "grossly over the target"


def test_storing_samples_with_the_sums(tmp_path: Path) -> None:
    """A batch of a day's samples: the master's ingest (samples and sums) against a bare executemany."""
    import sqlite3

    ingest_times, bare_times = [], []
    for run in range(5):
        store = open_enterprise(None, tmp_path / f"m{run}", "MASTER")
        secret = store.enroll("S1")
        document = {
            "protocol": 2,
            "server": "S1",
            "seq": 1,
            "created": WHEN,
            "samples": [
                {"origin": "S1", "product": "SQL Server", "minute": NOW - j, "max_in_use": j % 7,
                 "requests": 1, "denials": 0}
                for j in range(MINUTES)
            ],
        }  # fmt: skip
        batch = parse_batch(document)
        started = time.perf_counter()
        store.ingest(batch, secret)
        ingest_times.append((time.perf_counter() - started) * 1000)
        store.close()
        bare = sqlite3.connect(tmp_path / f"bare{run}.sqlite3", isolation_level=None)
        bare.execute("PRAGMA synchronous = FULL")
        bare.execute("PRAGMA journal_mode = WAL")
        bare.execute(
            "CREATE TABLE ent_samples (origin_key TEXT, product_key TEXT, minute BIGINT, max_in_use BIGINT, "
            "requests BIGINT, denials BIGINT, via_seq BIGINT, PRIMARY KEY (origin_key, product_key, minute))"
        )
        started = time.perf_counter()
        bare.execute("BEGIN")
        bare.executemany(
            "INSERT INTO ent_samples VALUES (?, ?, ?, ?, ?, ?, 1)",
            [("s1", "sql server", NOW - j, j % 7, 1, 0) for j in range(MINUTES)],
        )
        bare.execute("COMMIT")
        bare_times.append((time.perf_counter() - started) * 1000)
        bare.close()
    ingest, bare_ms = statistics.median(ingest_times), statistics.median(bare_times)
    print(
        f"\n[usage] a batch of {MINUTES:,} samples: ingest {ingest:.1f} ms (median of 5), bare executemany "
        f"{bare_ms:.1f} ms: {bare_ms / ingest:.2f}x"
    )
