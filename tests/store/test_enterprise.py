"""The enterprise database on SQLite and on a throwaway PostgreSQL: enrolment, exactly-once storage,
refusals that store nothing, and the enterprise-wide Per Seat pool."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.domain.errors import InvalidInput
from applet.store.enterprise import EnterpriseStore, ReplicationRefused, open_enterprise
from applet.store.enterprise.batch import parse_batch
from applet.store.enterprise.master import NotAuthorized

T0 = "2026-01-01T10:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def enterprise(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EnterpriseStore]:
    location = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = open_enterprise(location, tmp_path / "master", "MASTER")
    yield store
    store.close()


def batch(server: str, seq: int, **rows: list[dict[str, Any]]) -> Any:
    document: dict[str, Any] = {"protocol": 1, "server": server, "seq": seq, "created": T0}
    for kind, items in rows.items():
        document[kind] = [{"origin": server, **item} for item in items]
    return parse_batch(document)


def use(user: str, product: str = "Exchange", when: str = T0) -> dict[str, Any]:
    return {"product": product, "user": user, "first_used": when, "last_used": when, "usage_count": 1}


def buy(purchase_id: int, quantity: int, product: str = "Exchange", mode: str = "per-seat") -> dict[str, Any]:
    return {
        "id": purchase_id,
        "product": product,
        "mode": mode,
        "quantity": quantity,
        "administrator": "admin",
        "comment": "",
        "created": T0,
    }


def everything(store: EnterpriseStore) -> list[Any]:
    tables = (
        "ent_products",
        "ent_seat_uses",
        "ent_samples",
        "ent_purchases",
        "ent_events",
        "ent_pools",
        "ent_seats",
        "ent_origins",
    )
    return [sorted(map(repr, store.db.execute(f"SELECT * FROM {table}"))) for table in tables] + [
        [(s["name"], s["last_seq"]) for s in store.servers()]
    ]


def pool(store: EnterpriseStore, product: str = "Exchange") -> dict[str, int]:
    return next(p["per_seat"] for p in store.products() if p["product"] == product)


def test_enrol_list_and_revoke(enterprise: EnterpriseStore) -> None:
    secret = enterprise.enroll("S1")
    assert len(secret) >= 40
    with pytest.raises(InvalidInput, match="already enrolled"):
        enterprise.enroll("s1")
    states = {s["name"]: s["state"] for s in enterprise.servers()}
    assert states == {"MASTER": "this master", "S1": "enrolled, never replicated"}
    enterprise.ingest(batch("S1", 1, seat_uses=[use("alice")]), secret)
    assert {s["name"]: s["state"] for s in enterprise.servers()}["S1"] == "replicating"
    enterprise.remove("S1")
    with pytest.raises(NotAuthorized, match="removed"):
        enterprise.ingest(batch("S1", 2, seat_uses=[use("bob")]), secret)
    with pytest.raises(InvalidInput, match="not enrolled"):
        enterprise.remove("S9")
    new_secret = enterprise.enroll("S1")
    assert new_secret != secret
    with pytest.raises(NotAuthorized, match="wrong secret"):
        enterprise.ingest(batch("S1", 2, seat_uses=[use("bob")]), secret)
    assert enterprise.ingest(batch("S1", 2, seat_uses=[use("bob")]), new_secret).acknowledged == 2


def test_a_batch_is_stored_exactly_once(enterprise: EnterpriseStore) -> None:
    secret = enterprise.enroll("S1")
    first = batch("S1", 1, seat_uses=[use("alice"), use("bob")], purchases=[buy(1, 5)])
    assert enterprise.ingest(first, secret).rows == 3
    stored = everything(enterprise)
    again = enterprise.ingest(first, secret)
    assert again.duplicate and again.acknowledged == 1
    assert everything(enterprise) == stored
    assert pool(enterprise) == {"purchased": 5, "allocated": 2, "unlicensed": 0, "users": 2}


@pytest.mark.parametrize(
    ("server", "seq", "rows", "error", "match"),
    [
        ("S9", 1, {}, NotAuthorized, "not enrolled"),
        ("S1", 3, {}, ReplicationRefused, "gap"),
        ("S1", 1, {"seat_uses": [{**use("x"), "origin": "S2"}]}, ReplicationRefused, "another server"),
        ("S1", 1, {"seat_uses": [{**use("x"), "origin": "MASTER"}]}, ReplicationRefused, "loop"),
    ],
)
def test_refused_batches_store_nothing(
    enterprise: EnterpriseStore, server: str, seq: int, rows: dict[str, Any], error: type, match: str
) -> None:
    secret = enterprise.enroll("S1")
    enterprise.enroll("S2")
    before = everything(enterprise)
    document: dict[str, Any] = {"protocol": 1, "server": server, "seq": seq, "created": T0, **rows}
    with pytest.raises(error, match=match):
        enterprise.ingest(parse_batch(document), secret)
    assert everything(enterprise) == before


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"protocol": 2}, "protocol"),
        ({"seq": 0}, "seq"),
        ({"seq": "1"}, "seq"),
        ({"created": "2999-01-01T00:00:00+00:00"}, "future"),
        ({"created": "yesterday"}, "ISO 8601"),
        ({"server": "bad name!"}, "server name"),
        ({"seat_uses": [{"origin": "S1", "product": "P", "user": "u"}]}, "first_used"),
        ({"purchases": [{**buy(1, 1), "origin": "S1", "mode": "per-galaxy"}]}, "mode"),
        (
            {
                "samples": [
                    {
                        "origin": "S1",
                        "product": "P",
                        "minute": 1,
                        "max_in_use": -1,
                        "requests": 0,
                        "denials": 0,
                    }
                ]
            },
            "negative",
        ),
        ({"events": "all of them"}, "list"),
    ],
)
def test_malformed_batches_are_refused(change: dict[str, Any], match: str) -> None:
    document = {"protocol": 1, "server": "S1", "seq": 1, "created": T0, **change}
    with pytest.raises(InvalidInput, match=match):
        parse_batch(document)


def test_overlapping_users_take_one_enterprise_license_each(enterprise: EnterpriseStore) -> None:
    secrets = {name: enterprise.enroll(name) for name in ("S1", "S2", "S3")}
    enterprise.ingest(
        batch("S1", 1, purchases=[buy(1, 3)], seat_uses=[use("alice"), use("bob")]), secrets["S1"]
    )
    enterprise.ingest(batch("S2", 1, seat_uses=[use("ALICE"), use("carol")]), secrets["S2"])
    result = enterprise.ingest(
        batch("S3", 1, seat_uses=[use("bob"), use("dave"), use("erin")]), secrets["S3"]
    )
    # alice, bob, carol hold the 3 licenses (first come); dave and erin are unlicensed, once each.
    assert pool(enterprise) == {"purchased": 3, "allocated": 3, "unlicensed": 2, "users": 5}
    assert result.unlicensed == {"Exchange": ["dave", "erin"]}
    assert result.over == {"Exchange": (5, 3)}
    clients = {c["user"].casefold(): c for c in enterprise.clients()}
    assert clients["alice"]["servers"] == ["S1", "S2"]
    assert clients["alice"]["licensed"] and not clients["dave"]["licensed"]
    # More licenses bought on another server count for the whole enterprise: the oldest waiting first.
    enterprise.ingest(batch("S2", 2, purchases=[buy(7, 1)]), secrets["S2"])
    assert pool(enterprise) == {"purchased": 4, "allocated": 4, "unlicensed": 1, "users": 5}
    licensed = {c["user"] for c in enterprise.clients() if c["licensed"]}
    assert licensed == {"alice", "bob", "carol", "dave"}
    # A removal takes the license of the newest holder, never of an older one.
    enterprise.ingest(batch("S1", 2, purchases=[buy(2, -2)]), secrets["S1"])
    licensed = {c["user"] for c in enterprise.clients() if c["licensed"]}
    assert licensed == {"alice", "bob"}


def test_per_server_licenses_stay_with_their_server(enterprise: EnterpriseStore) -> None:
    secret = enterprise.enroll("S1")
    product = {
        "name": "SQL Server",
        "mode": "per-server",
        "per_server_licenses": 10,
        "per_seat_licenses": 0,
        "peak": 4,
    }
    enterprise.ingest(
        batch("S1", 1, products=[product], purchases=[buy(1, 10, "SQL Server", "per-server")]), secret
    )
    report = {p["product"]: p for p in enterprise.products()}
    assert report["SQL Server"]["per_server"] == [{"server": "S1", "purchased": 10, "peak": 4}]
    assert report["SQL Server"]["per_seat"]["purchased"] == 0
    assert enterprise.server_products("s1")[0]["per_server_licenses"] == 10


def test_two_connections_share_one_database(enterprise: EnterpriseStore, tmp_path: Path) -> None:
    """What two master instances do: either stores any batch, each exactly once."""
    location = None if enterprise.db.dialect == "sqlite" else enterprise.db.description  # no password here
    secret = enterprise.enroll("S1")
    other = open_enterprise(location, tmp_path / "master", "MASTER")
    try:
        enterprise.ingest(batch("S1", 1, seat_uses=[use("alice")]), secret)
        assert other.ingest(batch("S1", 1, seat_uses=[use("alice")]), secret).duplicate
        assert other.ingest(batch("S1", 2, seat_uses=[use("bob")]), secret).acknowledged == 2
        assert pool(enterprise)["users"] == 2
    finally:
        other.close()
