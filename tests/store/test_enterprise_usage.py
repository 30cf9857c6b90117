"""The enterprise usage chart's figures and the enterprise compliance report, on SQLite and PostgreSQL:
sums kept as samples arrive (also when an origin's figure goes down), minute and hour buckets, the top
servers, one server alone, bad input; and the report's pool, per-server lines and violations."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.domain.errors import InvalidInput
from applet.store.enterprise import EnterpriseStore, open_enterprise
from applet.store.enterprise.batch import parse_batch
from applet.store.enterprise.compliance import enterprise_compliance
from applet.store.enterprise.usage import MAX_POINTS, bucket_for, product_usage
from applet.store.reports import compliance_html, compliance_labels, enterprise_lines

T0 = "2026-01-01T10:00:00+00:00"
# 2026-01-01 10:00 UTC in epoch minutes (a whole hour).
M0 = 29_454_360


@pytest.fixture(params=["sqlite", "postgresql"])
def enterprise(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EnterpriseStore]:
    location = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = open_enterprise(location, tmp_path / "master", "MASTER")
    yield store
    store.close()


class Sender:
    """An enrolled server sending numbered batches."""

    def __init__(self, store: EnterpriseStore, name: str) -> None:
        self.store, self.name, self.seq = store, name, 0
        self.secret = store.enroll(name)

    def send(self, **rows: list[dict[str, Any]]) -> None:
        self.seq += 1
        document: dict[str, Any] = {"protocol": 2, "server": self.name, "seq": self.seq, "created": T0}
        for kind, items in rows.items():
            document[kind] = [{"origin": self.name, **item} for item in items]
        self.store.ingest(parse_batch(document), self.secret)


def sample(minute: int, in_use: int, product: str = "SQL Server") -> dict[str, Any]:
    return {"product": product, "minute": M0 + minute, "max_in_use": in_use, "requests": 1, "denials": 0}


def product(name: str, mode: str, per_server: int = 0, per_seat: int = 0, peak: int = 0) -> dict[str, Any]:
    return {
        "name": name,
        "mode": mode,
        "per_server_licenses": per_server,
        "per_seat_licenses": per_seat,
        "peak": peak,
        "removed": None,
    }


def points(line: list[list[int]]) -> list[tuple[int, int]]:
    return [(minute - M0, value) for minute, value in line]


def test_the_enterprise_line_sums_the_servers_minutes_and_each_server_has_its_own(
    enterprise: EnterpriseStore,
) -> None:
    a, b, c = (Sender(enterprise, name) for name in ("A", "B", "C"))
    a.send(products=[product("SQL Server", "per-server", 10, peak=7)], samples=[sample(0, 3), sample(1, 7)])
    b.send(products=[product("SQL Server", "per-server", 5, peak=4)], samples=[sample(0, 4), sample(11, 2)])
    c.send(products=[product("SQL Server", "per-seat", per_seat=2, peak=1)], samples=[sample(1, 1)])

    usage = product_usage(enterprise.db, "sql server", M0, M0 + 59, bucket=1, top=2)
    assert usage["product"] == "SQL Server" and usage["bucket"] == 1
    assert points(usage["total"]) == [(0, 7), (1, 8), (11, 2)]
    # Per Server licenses of the Per Server servers, and no pool: C's Per Seat purchase is not a pool.
    assert usage["limit"] == 15
    listed = [(s["server"], s["mode"], s["licenses"], s["peak"]) for s in usage["servers"]]
    assert listed == [("A", "per-server", 10, 7), ("B", "per-server", 5, 4), ("C", "per-seat", 2, 1)]
    lines = {s["server"]: s["points"] for s in usage["servers"]}
    assert points(lines["A"]) == [(0, 3), (1, 7)] and points(lines["B"]) == [(0, 4), (11, 2)]
    assert lines["C"] is None  # beyond the top 2: listed, no line

    # Ten-minute buckets: the highest minute of the enterprise in each, and of each server.
    usage = product_usage(enterprise.db, "SQL Server", M0, M0 + 59, bucket=10)
    assert points(usage["total"]) == [(0, 8), (10, 2)]
    # An hour: read from the hours kept as samples arrived.
    usage = product_usage(enterprise.db, "SQL Server", M0, M0 + 24 * 60, bucket=60)
    assert points(usage["total"]) == [(0, 8)]
    assert points(next(s for s in usage["servers"] if s["server"] == "B")["points"]) == [(0, 4)]

    # The origin's figure replaces the master's, also downwards: the sums follow.
    a.send(samples=[sample(1, 2), sample(61, 9)])
    usage = product_usage(enterprise.db, "SQL Server", M0, M0 + 119, bucket=1)
    assert points(usage["total"]) == [(0, 7), (1, 3), (11, 2), (61, 9)]
    usage = product_usage(enterprise.db, "SQL Server", M0, M0 + 119, bucket=60)
    assert points(usage["total"]) == [(0, 7), (60, 9)]

    # One server alone: its line, its licenses.
    usage = product_usage(enterprise.db, "SQL Server", M0, M0 + 119, bucket=1, server="b")
    assert usage["server"] == "B" and usage["limit"] == 5
    assert points(usage["total"]) == [(0, 4), (11, 2)] and len(usage["servers"]) == 1


def test_bounded_answers_and_bad_input(enterprise: EnterpriseStore) -> None:
    sender = Sender(enterprise, "A")
    sender.send(products=[product("SQL Server", "per-server", 1)], samples=[sample(0, 1)])
    year = 365 * 24 * 60
    assert bucket_for(0, year) == 180 and year / 180 < MAX_POINTS
    assert bucket_for(0, 24 * 60, 10) == 10 and bucket_for(0, 59, 7) == 10
    usage = product_usage(enterprise.db, "SQL Server", M0 - year, M0, bucket=1)
    # Three-hour buckets fall on multiples of three hours since the epoch.
    assert usage["bucket"] == 180 and usage["total"] == [[M0 // 180 * 180, 1]]
    with pytest.raises(LookupError, match="Visio is not a product of this enterprise"):
        product_usage(enterprise.db, "Visio", M0, M0 + 60)
    with pytest.raises(LookupError, match="NOPE is not a server"):
        product_usage(enterprise.db, "SQL Server", M0, M0 + 60, server="NOPE")
    for since, until, bucket, top in (
        (M0, M0 - 1, 1, 5),
        (0, 20 * year, 1, 5),
        (M0, M0, 0, 5),
        (M0, M0, 1, 99),
    ):
        with pytest.raises(InvalidInput):
            product_usage(enterprise.db, "SQL Server", since, until, bucket, top=top)


def test_migration_4_sums_the_samples_already_stored(tmp_path: Path) -> None:
    from applet.store.enterprise.dialect import connect
    from applet.store.enterprise.schema import MIGRATIONS

    connection = connect(tmp_path / "enterprise.sqlite3")
    with connection.transaction():
        for statement in (s for migration in MIGRATIONS[:3] for s in migration):
            connection.execute(statement)
        connection.execute("UPDATE ent_meta SET value = '3' WHERE key = 'schema_version'")
        connection.executemany(
            "INSERT INTO ent_samples (origin_key, product_key, minute, max_in_use, requests, denials) "
            "VALUES (?, 'sql server', ?, ?, 1, 0)",
            [("a", M0, 3), ("b", M0, 4), ("a", M0 + 70, 5)],
        )
        connection.execute(
            "INSERT INTO ent_products (origin_key, product_key, name, mode, per_server_licenses, "
            "per_seat_licenses, peak, updated) "
            "VALUES ('a', 'sql server', 'SQL Server', 'per-server', 1, 0, 5, '')"
        )
    connection.close()
    store = open_enterprise(None, tmp_path, "MASTER")
    try:
        assert points(product_usage(store.db, "SQL Server", M0, M0 + 119)["total"]) == [(0, 7), (70, 5)]
        assert points(product_usage(store.db, "SQL Server", M0, M0 + 119, 60)["total"]) == [(0, 7), (60, 5)]
    finally:
        store.close()


def use(user: str, product_name: str = "Exchange") -> dict[str, Any]:
    return {"product": product_name, "user": user, "first_used": T0, "last_used": T0, "usage_count": 1}


def event(number: int, event_id: int, product_name: str) -> dict[str, Any]:
    return {
        "id": number,
        "event_id": event_id,
        "type": "warning",
        "time": T0,
        "product": product_name,
        "message": "over",
    }


def test_the_enterprise_compliance_report(enterprise: EnterpriseStore) -> None:
    a, b = Sender(enterprise, "A"), Sender(enterprise, "B")
    a.send(
        products=[
            product("Exchange", "per-seat", per_seat=1),
            product("SQL Server", "per-server", 5, peak=7),
        ],
        purchases=[
            {
                "id": 1,
                "product": "Exchange",
                "mode": "per-seat",
                "quantity": 1,
                "administrator": "admin",
                "comment": "",
                "created": T0,
            }
        ],
        seat_uses=[use("alice"), use("bob")],
        events=[event(1, 221, "SQL Server"), event(2, 221, "SQL Server"), event(3, 212, "SQL Server")],
    )
    b.send(
        products=[product("Exchange", "per-seat"), product("SQL Server", "per-server", 8, peak=8)],
        seat_uses=[use("alice"), use("carol")],
        events=[event(1, 201, "Exchange")],
    )
    document = enterprise_compliance(enterprise.db)
    assert document["servers"] == 3  # A, B and the master
    by_name = {p["product"]: p for p in document["products"]}
    exchange, sql = by_name["Exchange"], by_name["SQL Server"]
    assert exchange["per_server"] is None
    pool = exchange["per_seat"]
    assert (pool["purchased"], pool["allocated"], pool["unlicensed"], pool["users"]) == (1, 1, 2, 3)
    assert pool["state"] == "over-limit" and pool["violations"] == 1
    assert sql["per_seat"] is None
    assert {k: sql["per_server"][k] for k in ("purchased", "peak", "unlicensed", "violations", "state")} == {
        "purchased": 13,
        "peak": 15,
        "unlicensed": 2,
        "violations": 2,
        "state": "over-limit",
    }
    servers = {(s["server"], p["product"]): s for p in document["products"] for s in p["servers"]}
    assert (servers[("B", "SQL Server")]["state"], servers[("A", "SQL Server")]["violations"]) == (
        "at-limit",
        2,
    )
    # Per Seat on a server: the users it saw and those of them the pool does not license.
    assert (servers[("A", "Exchange")]["used"], servers[("B", "Exchange")]["used"]) == (2, 2)
    assert servers[("A", "Exchange")]["unlicensed"] + servers[("B", "Exchange")]["unlicensed"] >= 2

    lines, breakdown = enterprise_lines(document)
    assert [(line.product, line.mode.value, line.purchased, line.peak_used) for line in lines] == [
        ("Exchange", "per-seat", 1, 3),
        ("SQL Server", "per-server", 13, 15),
    ]
    assert [(server, line.product) for server, line in breakdown] == [
        ("A", "Exchange"),
        ("A", "SQL Server"),
        ("B", "Exchange"),
        ("B", "SQL Server"),
    ]
    page = compliance_html(lines, compliance_labels(), "MASTER", "now", breakdown, document["servers"])
    assert "Enterprise of master MASTER, 3 servers" in page and "<h2>Per server</h2>" in page
    assert page.count("<tr><td>A</td>") == 2
