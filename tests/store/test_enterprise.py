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
        ({"protocol": 3}, "protocol"),
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


def test_new_users_of_one_batch_are_licensed_in_order_of_first_use_until_the_pool_runs_out(
    enterprise: EnterpriseStore,
) -> None:
    secret = enterprise.enroll("S1")
    minute = "2026-01-01T10:0{}:00+00:00".format
    uses = [use("dave", when=minute(3)), use("carol", when=minute(1)), use("Bob", when=minute(2))]
    first = batch("S1", 1, purchases=[buy(1, 2)], seat_uses=[*uses, use("erin", when=minute(4))])
    result = enterprise.ingest(first, secret)
    assert result.unlicensed == {"Exchange": ["dave", "erin"]}
    assert pool(enterprise) == {"purchased": 2, "allocated": 2, "unlicensed": 2, "users": 4}
    seats = "SELECT user_name, arrival, licensed_order, first_used, last_used FROM ent_seats ORDER BY arrival"
    assert [row[:3] for row in enterprise.db.execute(seats)] == [
        ("carol", 0, 1),
        ("Bob", 1, 2),
        ("dave", 2, None),
        ("erin", 3, None),
    ]
    # Known users only move their first and last use; nobody new, nobody relicensed.
    earlier, later = "2026-01-01T09:00:00+00:00", minute(9)
    moves = [use("bob", when=earlier), use("erin", when=later)]
    assert enterprise.ingest(batch("S1", 2, seat_uses=moves), secret).unlicensed == {}
    assert [row[3:] for row in enterprise.db.execute(seats)] == [
        (minute(1), minute(1)),
        (earlier, minute(2)),
        (minute(3), minute(3)),
        (minute(4), later),
    ]
    assert pool(enterprise) == {"purchased": 2, "allocated": 2, "unlicensed": 2, "users": 4}


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


def deletion(user: str, product: str = "Exchange") -> dict[str, Any]:
    return {"product": product, "user": user}


def licensed_users(store: EnterpriseStore) -> set[str]:
    return {c["user"].casefold() for c in store.clients() if c["licensed"]}


def test_a_deleted_client_leaves_the_pool_once_no_server_has_it(enterprise: EnterpriseStore) -> None:
    secrets = {name: enterprise.enroll(name) for name in ("S1", "S2")}
    enterprise.ingest(
        batch("S1", 1, purchases=[buy(1, 1)], seat_uses=[use("alice"), use("bob")]), secrets["S1"]
    )
    enterprise.ingest(batch("S2", 1, seat_uses=[use("alice")]), secrets["S2"])
    assert pool(enterprise) == {"purchased": 1, "allocated": 1, "unlicensed": 1, "users": 2}
    # Deleted on S1, alice is still S2's user: she keeps her license.
    enterprise.ingest(batch("S1", 2, deletions=[deletion("alice")]), secrets["S1"])
    assert pool(enterprise)["users"] == 2 and licensed_users(enterprise) == {"alice"}
    assert {c["user"]: c["servers"] for c in enterprise.clients()}["alice"] == ["S2"]
    # Deleted on S2 too: she is gone and her license goes to bob, the oldest waiting.
    gone = batch("S2", 2, deletions=[deletion("ALICE")])
    enterprise.ingest(gone, secrets["S2"])
    assert pool(enterprise) == {"purchased": 1, "allocated": 1, "unlicensed": 0, "users": 1}
    assert licensed_users(enterprise) == {"bob"}
    stored = everything(enterprise)
    assert enterprise.ingest(gone, secrets["S2"]).duplicate  # redelivered: stored once
    assert everything(enterprise) == stored
    # Deleted and used again since the last batch: the deletion comes first, she is back (waiting).
    enterprise.ingest(batch("S2", 3, deletions=[deletion("bob")], seat_uses=[use("alice")]), secrets["S2"])
    assert pool(enterprise) == {"purchased": 1, "allocated": 1, "unlicensed": 1, "users": 2}
    # A deletion of a client the master never heard of changes nothing.
    before = pool(enterprise)
    enterprise.ingest(batch("S2", 4, deletions=[deletion("nobody")]), secrets["S2"])
    assert pool(enterprise) == before


def group(name: str, licenses: int, *members: str) -> dict[str, Any]:
    return {"name": name, "licenses": licenses, "members": list(members)}


def test_license_groups_take_their_licenses_enterprise_wide_as_on_one_server(
    enterprise: EnterpriseStore,
) -> None:
    from applet.domain.counting import PerSeatAllocator

    secrets = {name: enterprise.enroll(name) for name in ("S1", "S2")}
    # The group is defined on S1 only; its members use the product on S2 as well.
    enterprise.ingest(
        batch("S1", 1, purchases=[buy(1, 4)], groups=[group("Lab", 2, "carol", "dave", "frank")]),
        secrets["S1"],
    )
    order = ["alice", "carol", "bob", "dave", "erin", "frank", "gina"]
    enterprise.ingest(batch("S1", 2, seat_uses=[use(u) for u in order[:3]]), secrets["S1"])
    enterprise.ingest(batch("S2", 1, seat_uses=[use(u) for u in order[3:]]), secrets["S2"])
    one_server = PerSeatAllocator(4, {"lab": 2}, {"carol": "lab", "dave": "lab", "frank": "lab"})
    expected = {user for user in order if one_server.use(user).licensed}
    assert licensed_users(enterprise) == expected == {"alice", "carol", "bob", "dave", "frank"}
    assert pool(enterprise) == {"purchased": 4, "allocated": 4, "unlicensed": 2, "users": 7}
    # The group gets a third license: it waits again and the rule settles (as on one server).
    one_server.set_group_licenses("lab", 3)
    enterprise.ingest(batch("S1", 3, groups=[group("Lab", 3, "carol", "dave", "frank")]), secrets["S1"])
    expected = {user for user in order if one_server.is_licensed(user)}
    assert licensed_users(enterprise) == expected
    assert pool(enterprise)["allocated"] == 4
    # The group is removed on S1 (sent once with no licenses): its members hold licenses of their own.
    one_server.set_group_licenses("lab", None)
    enterprise.ingest(batch("S1", 4, groups=[group("Lab", 0)]), secrets["S1"])
    expected = {user for user in order if one_server.is_licensed(user)}
    assert licensed_users(enterprise) == expected
    assert pool(enterprise) == {"purchased": 4, "allocated": 4, "unlicensed": 3, "users": 7}


def test_a_user_who_joins_a_licensed_group_shares_its_license(enterprise: EnterpriseStore) -> None:
    secret = enterprise.enroll("S1")
    enterprise.ingest(
        batch("S1", 1, purchases=[buy(1, 2)], groups=[group("Lab", 1, "carol")], seat_uses=[use("carol")]),
        secret,
    )
    enterprise.ingest(batch("S1", 2, seat_uses=[use("alice"), use("bob")]), secret)
    assert licensed_users(enterprise) == {"carol", "alice"}
    enterprise.ingest(batch("S1", 3, groups=[group("Lab", 1, "carol", "alice")]), secret)
    # alice gives up her own license and shares the group's: bob, waiting, gets the one freed.
    assert licensed_users(enterprise) == {"carol", "alice", "bob"}
    assert pool(enterprise) == {"purchased": 2, "allocated": 2, "unlicensed": 0, "users": 3}


def test_an_enterprise_database_of_release_1_is_migrated_and_goes_on(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    import sqlite3

    fixture = Path(__file__).parent / "fixtures" / "enterprise-release-1.sql"
    script = fixture.read_text()
    secret = script.splitlines()[1].split("secret ")[1].split(",")[0]
    if backend == "sqlite":
        (tmp_path / "master").mkdir()
        with sqlite3.connect(tmp_path / "master" / "enterprise.sqlite3") as connection:
            connection.executescript(script)
        location = None
    else:
        import psycopg

        location = request.getfixturevalue("postgres_url")
        with psycopg.connect(location, autocommit=True) as connection:
            connection.execute(script.encode())
    store = open_enterprise(location, tmp_path / "master", "MASTER")
    try:
        from applet.store.enterprise.schema import SCHEMA_VERSION

        assert (
            int(store.db.execute("SELECT value FROM ent_meta WHERE key = 'schema_version'")[0][0])
            == SCHEMA_VERSION
        )
        assert pool(store) == {"purchased": 2, "allocated": 2, "unlicensed": 1, "users": 3}
        # Release 1's rows forward as S1's batch 1; the stream goes on at batch 2.
        assert {row[0] for row in store.db.execute("SELECT via_seq FROM ent_seat_uses")} == {1}
        store.ingest(batch("S1", 2, deletions=[deletion("alice")]), secret)
        assert pool(store) == {"purchased": 2, "allocated": 2, "unlicensed": 0, "users": 2}
    finally:
        store.close()


def test_an_enterprise_database_of_release_3_is_migrated_and_goes_on(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Release 4 drops the index ent_seats_by_arrival; the pool is still settled in arrival order."""
    import sqlite3

    from applet.store.enterprise.schema import SCHEMA_VERSION

    script = (Path(__file__).parent / "fixtures" / "enterprise-release-3.sql").read_text()
    secret = script.splitlines()[1].split("secret ")[1].split(",")[0]
    if backend == "sqlite":
        (tmp_path / "master").mkdir()
        with sqlite3.connect(tmp_path / "master" / "enterprise.sqlite3") as connection:
            connection.executescript(script)
        location = None
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        import psycopg

        location = request.getfixturevalue("postgres_url")
        with psycopg.connect(location, autocommit=True) as connection:
            connection.execute(script.encode())
        indexes = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    store = open_enterprise(location, tmp_path / "master", "MASTER")
    try:
        assert int(store.db.execute("SELECT value FROM ent_meta WHERE key = 'schema_version'")[0][0]) == (
            SCHEMA_VERSION
        )
        assert "ent_seats_by_arrival" not in {row[0] for row in store.db.execute(indexes)}
        assert pool(store) == {"purchased": 2, "allocated": 2, "unlicensed": 1, "users": 3}
        assert [p["product"] for p in store.products()] == ["Exchange"]  # Old stays removed
        # dave arrives, alice is deleted: carol, first in arrival order among those waiting, takes
        # alice's license and dave waits.
        dave = use("dave", when="2026-01-01T12:00:00+00:00")
        store.ingest(batch("S1", 2, deletions=[deletion("alice")], seat_uses=[dave]), secret)
        assert licensed_users(store) == {"bob", "carol"}
        assert pool(store) == {"purchased": 2, "allocated": 2, "unlicensed": 1, "users": 3}
        assert store.servers()[1]["last_seq"] == 2
    finally:
        store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_replicating_store_of_release_3_sends_its_deletions_and_groups_after_upgrade(
    tmp_path: Path,
) -> None:
    import sqlite3

    from applet.store import Store
    from applet.store.outbox import prepare_batch
    from applet.store.schema import SCHEMA_VERSION

    data_dir = tmp_path / "S1"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "licensing.sqlite3") as connection:
        connection.executescript(
            (Path(__file__).parent / "fixtures" / "release-3-replicating.sql").read_text()
        )
    with Store.open(data_dir) as store:
        assert store.db.schema_version() == SCHEMA_VERSION
        store.clients.delete("alice", "admin")
        document = prepare_batch(store, "S1")
    assert document is not None and document["seq"] == 2 and document["protocol"] == 2
    # Only what changed since batch 1: the deletion, and the groups (never sent by release 3).
    assert [(d["product"], d["user"]) for d in document["deletions"]] == [("Exchange", "alice")]
    assert [(g["name"], g["licenses"], g["members"]) for g in document["groups"]] == [("Lab", 1, ["carol"])]
    assert document["seat_uses"] == [] and document["purchases"] == []


def test_master_instances_sharing_a_database_each_enter_their_own_data_once(
    enterprise: EnterpriseStore, tmp_path: Path
) -> None:
    location = None if enterprise.db.dialect == "sqlite" else enterprise.db.description

    def instance(name: str) -> EnterpriseStore:
        return open_enterprise(location, tmp_path / "master", "HOST", name)

    first, second = instance("aaaaaa01"), instance("bbbbbb02")
    try:
        # One host name, two instances: the second takes the name with its id appended.
        assert (first.self_name, second.self_name) == ("HOST", "HOST-bbbbbb")
        first.ingest(batch("HOST", 1, seat_uses=[use("alice"), use("bob")]), None)
        own = batch("HOST-bbbbbb", 1, seat_uses=[use("bob"), use("carol")])
        second.ingest(own, None)
        assert second.ingest(own, None).duplicate  # entered again after a crash: stored once
        with pytest.raises(NotAuthorized):
            second.ingest(batch("HOST-bbbbbb", 2, seat_uses=[use("dave")]), "x" * 43)  # never over HTTP
    finally:
        first.close()
        second.close()
    # Restarted, each keeps its own name and its own batch numbers.
    first, second = instance("aaaaaa01"), instance("bbbbbb02")
    try:
        assert (first.self_name, second.self_name) == ("HOST", "HOST-bbbbbb")
        assert second.ingest(batch("HOST-bbbbbb", 2, seat_uses=[use("dave")]), None).acknowledged == 2
        selves = {s["name"]: s["last_seq"] for s in first.servers() if s["state"] == "this master"}
        assert selves == {"MASTER": 0, "HOST": 1, "HOST-bbbbbb": 2}
        assert pool(first)["users"] == 4
        clients = {c["user"]: c["servers"] for c in first.clients()}
        assert clients["bob"] == ["HOST", "HOST-bbbbbb"]
    finally:
        first.close()
        second.close()


def test_a_master_forwards_everything_once_in_parts_when_a_batch_is_too_large(
    enterprise: EnterpriseStore, tmp_path: Path
) -> None:
    """What a domain master forwards to the enterprise server, with a tiny upward batch: whole sender
    batches where they fit, a larger one in parts by key; at the top every row arrives once."""
    from applet.store.enterprise.forward import forward_rows

    domain = enterprise  # MASTER, with S1 and S2 enrolled
    secrets = {name: domain.enroll(name) for name in ("S1", "S2")}
    domain.ingest(
        batch("S1", 1, purchases=[buy(1, 3)], seat_uses=[use(f"u{n}") for n in range(7)]), secrets["S1"]
    )
    domain.ingest(
        batch("S1", 2, deletions=[deletion("u0")], seat_uses=[use("u1", when="2026-01-02T10:00:00+00:00")]),
        secrets["S1"],
    )
    domain.ingest(
        batch("S2", 1, seat_uses=[use("u3"), use("zoe")], groups=[group("Lab", 1, "zoe")]), secrets["S2"]
    )
    top = open_enterprise(None, tmp_path / "top", "TOP")
    try:
        secret = top.enroll("MASTER")
        marks: dict[str, Any] = {}
        sizes = []
        for seq in range(1, 20):
            rows, marks = forward_rows(domain.db, domain.self_key, marks, budget=3)
            if not rows:
                break
            sizes.append(sum(map(len, rows.values())))
            document = {"protocol": 2, "server": "MASTER", "seq": seq, "created": T0, **rows}
            top.ingest(parse_batch(document), secret)
        assert max(sizes) <= 3 and len(sizes) >= 4  # S1's first batch (8 rows) went in parts
        # Nothing left, and nothing more to send until a sender stores another batch.
        assert forward_rows(domain.db, domain.self_key, marks, budget=3)[0] == {}
        assert marks["done"] == {"s1": 2, "s2": 1} and marks["part"] == {}
        assert pool(top) == pool(domain) == {"purchased": 3, "allocated": 3, "unlicensed": 4, "users": 7}
        # (Who holds the three licenses is decided at the top by when it learnt of each user.)
        assert len(licensed_users(top)) == 3
        servers = {c["user"]: c["servers"] for c in top.clients()}
        assert servers["u3"] == ["S1", "S2"] and "u0" not in servers
        # A later batch of a sender is forwarded alone, whole.
        domain.ingest(batch("S2", 2, seat_uses=[use("yan")]), secrets["S2"])
        rows, marks = forward_rows(domain.db, domain.self_key, marks, budget=3)
        assert [r["user"] for r in rows["seat_uses"]] == ["yan"] and marks["done"]["s2"] == 2
    finally:
        top.close()
