"""``lls leases``: who holds licenses now, read from the real service with the admin token."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from applet.domain.products import LicenseMode
from applet.store import Store

Lls = Callable[..., Any]


def _products(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", limit=5, agreed=True)
        store.products.add("Mail", "admin", mode=LicenseMode.PER_SEAT)


def test_leases_lists_holders_and_filters_by_product(start_service: Any, lls: Lls, data_dir: Path) -> None:
    _products(data_dir)
    service = start_service("--heartbeat", "30")
    client = service.client()
    client.request("SQL Server", "alice", client="ws-17")
    client.request("Mail", "bob", client="ws-18")
    client.request("sql server", "carol", client="ws-19", lease_seconds=600)

    every = lls("--json", "leases")
    assert every.code == 0, every.stderr
    rows = every.json()
    assert sorted((r["user"], r["client"], r["product"]) for r in rows) == [
        ("alice", "ws-17", "SQL Server"),
        ("bob", "ws-18", "Mail"),
        ("carol", "ws-19", "SQL Server"),
    ]
    now = datetime.now(UTC)
    for row in rows:
        since = datetime.fromisoformat(row["since"])
        expires = datetime.fromisoformat(row["expires"])
        assert since <= now < expires
    carol = next(r for r in rows if r["user"] == "carol")
    assert 500 < (datetime.fromisoformat(carol["expires"]) - now).total_seconds() <= 601

    only = lls("leases", "--product", "sql server", "--json")
    assert only.code == 0, only.stderr
    assert sorted(r["user"] for r in only.json()) == ["alice", "carol"]

    table = lls("leases", "--product", "Mail")
    assert table.code == 0, table.stderr
    header, _rule, line = table.stdout.splitlines()
    assert header.split() == ["User", "Client", "Product", "Since", "Expires", "Licensed"]
    assert line.split()[:3] == ["bob", "ws-18", "Mail"]

    unknown = lls("leases", "--product", "Nope")
    assert unknown.code == 2 and "unknown product" in unknown.stderr and unknown.stdout == ""


def test_leases_says_when_none_are_held(start_service: Any, lls: Lls, data_dir: Path) -> None:
    _products(data_dir)
    start_service()
    result = lls("leases")
    assert result.code == 0 and result.stdout.strip() == "No licenses are held."
    assert lls("--json", "leases").json() == []


def test_leases_without_a_service_is_exit_4(lls: Lls, data_dir: Path) -> None:
    _products(data_dir)
    result = lls("leases")
    assert result.code == 4
    assert result.stderr.startswith("lls: error:") and "not running" in result.stderr
    assert len(result.stderr.splitlines()) == 1
