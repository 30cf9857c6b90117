"""The SQLite store: a fresh store, migrations, the ledger, seats, groups, summaries, resets, faults."""

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from applet.domain.compliance import Compliance
from applet.domain.errors import (
    AgreementRequired,
    InsufficientLicenses,
    InvalidInput,
    LicensingError,
    UnknownProduct,
)
from applet.domain.products import LicenseMode
from applet.store import DatabaseCorrupt, DatabaseLocked, DatabaseTooNew, DataFolderUnwritable, Store
from applet.store.paths import resolve_paths
from applet.store.products import ConcurrentChange
from applet.store.records import ReplicationSettings, SeatClientRecord, SeatUsage
from applet.store.schema import SCHEMA_VERSION, builtin_product_name

ADMIN = "tester"


def test_a_fresh_store_holds_the_builtin_file_and_print_product(store: Store) -> None:
    (product,) = store.products.list()
    assert product.name == builtin_product_name()
    assert product.mode is LicenseMode.PER_SERVER
    assert product.builtin and product.observe_sessions
    assert store.replication.get().every_hours == 24
    assert store.db.schema_version() == SCHEMA_VERSION


def test_the_store_uses_wal_and_owner_only_permissions(store: Store, data_dir: Path) -> None:
    assert store.db.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    if os.name == "posix":
        assert (data_dir / "licensing.sqlite3").stat().st_mode & 0o077 == 0


def test_data_folder_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLS_DATA_DIR", str(tmp_path / "env"))
    assert resolve_paths(tmp_path / "flag").data_dir == tmp_path / "flag"
    assert resolve_paths().data_dir == tmp_path / "env"
    monkeypatch.delenv("LLS_DATA_DIR")
    assert resolve_paths().source == "default"


def test_ledger_is_append_only_and_sums_to_the_entitlement(store: Store) -> None:
    store.products.add("SQL Server", ADMIN, limit=5, agreed=True)
    store.ledger.add("SQL Server", 3, ADMIN, agreed=True, comment="PO 42")
    store.ledger.remove("SQL Server", 2, ADMIN, comment="returned")
    assert store.products.get("sql server").concurrent_limit == 6
    history = store.ledger.history("SQL Server")
    assert [line.quantity for line in history] == [-2, 3, 5]
    assert history[0].administrator == ADMIN and history[1].comment == "PO 42"
    with pytest.raises(InsufficientLicenses):
        store.ledger.remove("SQL Server", 7, ADMIN)
    assert len(store.ledger.history()) == 3


def test_adding_licenses_needs_agreement(store: Store, store_snapshot: Callable[[], list[str]]) -> None:
    before = store_snapshot()
    with pytest.raises(LicensingError):
        store.ledger.add(builtin_product_name(), 5, ADMIN, agreed=False)
    assert store_snapshot() == before


def test_registering_a_product_with_licenses_needs_agreement_and_writes_a_purchase(
    store: Store, store_snapshot: Callable[[], list[str]]
) -> None:
    before = store_snapshot()
    with pytest.raises(AgreementRequired, match="agree"):
        store.products.add("IIS", ADMIN, limit=5)
    assert store_snapshot() == before
    store.products.add("IIS", ADMIN, limit=5, agreed=True)
    (line,) = store.ledger.history("IIS")
    assert (line.quantity, line.mode, line.administrator) == (5, LicenseMode.PER_SERVER, ADMIN)
    # The same purchase event and audit row as `licenses add`, after the registration's.
    assert [e.event_id for e in store.events.list(product="IIS")] == [236, 233]
    assert [row[2] for row in store.audit_trail()[:2]] == ["add licenses", "product add"]  # newest first
    store.products.add("Empty", ADMIN)  # no licenses: nothing to agree to
    assert store.ledger.history("Empty") == []


def test_unknown_products_are_refused(store: Store) -> None:
    with pytest.raises(UnknownProduct):
        store.ledger.add("Nope", 1, ADMIN, agreed=True)
    with pytest.raises(UnknownProduct):
        store.products.get("Nope")


def test_duplicate_and_builtin_removal_are_refused(store: Store) -> None:
    store.products.add("Exchange", ADMIN)
    with pytest.raises(InvalidInput, match="already registered"):
        store.products.add("EXCHANGE", ADMIN)
    with pytest.raises(LicensingError, match="built-in"):
        store.products.remove(builtin_product_name(), ADMIN)


def test_a_removed_product_keeps_its_history_and_its_one_way_flip(store: Store) -> None:
    store.products.add("SNA Server", ADMIN, limit=2, agreed=True)
    store.products.change_mode("SNA Server", LicenseMode.PER_SEAT, True, ADMIN)
    store.products.remove("SNA Server", ADMIN)
    assert "SNA Server" not in [p.name for p in store.products.list()]
    assert [line.quantity for line in store.ledger.history()] == [-2, 2]  # the change gave up Per Server
    revived = store.products.add("SNA Server", ADMIN, mode=LicenseMode.PER_SERVER)
    assert revived.mode is LicenseMode.PER_SEAT


def test_a_stale_revision_is_a_concurrent_change(store: Store) -> None:
    product = store.products.add("IIS", ADMIN)
    store.ledger.add("IIS", 1, ADMIN, agreed=True)
    with pytest.raises(ConcurrentChange):
        store.ledger.add("IIS", 1, ADMIN, agreed=True, expected_revision=product.revision)
    with pytest.raises(ConcurrentChange):
        store.products.change_mode(
            "IIS", LicenseMode.PER_SEAT, True, ADMIN, expected_revision=product.revision
        )


def _use(store: Store, product_id: int, user: str, licensed: bool, group_id: int | None = None) -> None:
    store.clients.record_usage([SeatUsage(product_id, user, "2026-01-01T00:00:00+00:00", licensed, group_id)])


def test_the_usage_page_sqlite_encodes_equals_the_records_encoded(store: Store) -> None:
    # GET /v1/clients answers usage_json (built by SQLite); it must say what usage() says, in order.
    mail = store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=3, agreed=True)
    files = store.products.add("Files", ADMIN, mode=LicenseMode.PER_SEAT, limit=50, agreed=True)
    lab = store.groups.add("Lab", 2, ADMIN)
    users = ["zoë", 'quote"and\\back', "ann", "Émile", "bob", "日本"] + [
        f"user{n:03d}" for n in range(40, 0, -1)
    ]
    for number, user in enumerate(users):
        _use(store, files.product_id, user, number % 3 != 0, lab.group_id if number % 5 == 0 else None)
        if number % 2:
            _use(store, mail.product_id, user, number < 8)
            _use(store, mail.product_id, user, number < 8)

    def encoded(rows: list[SeatClientRecord]) -> bytes:
        return orjson.dumps([row.as_dict() for row in rows])

    for product, user, limit in ((None, None, None), (None, None, 7), ("mail", None, None), (None, "ann", 5)):
        page = store.clients.usage_json(product, user, limit)
        assert orjson.loads(page) == orjson.loads(encoded(store.clients.usage(product, user, limit)))
        assert page == encoded(store.clients.usage(product, user, limit))
    assert store.clients.usage_json(user="nobody") == b"[]"
    with pytest.raises(UnknownProduct):
        store.clients.usage_json("Nothing")


def test_per_seat_summary_and_rebalance_after_purchase_and_delete(store: Store) -> None:
    product = store.products.add("Office", ADMIN, mode=LicenseMode.PER_SEAT, limit=1, agreed=True)
    _use(store, product.product_id, "ann", True)
    _use(store, product.product_id, "bob", False)
    _use(store, product.product_id, "ann", True)
    summary = {s.name: s for s in store.usage.summaries()}["Office"]
    assert (summary.per_seat_purchased, summary.per_seat_allocated, summary.per_seat_unlicensed) == (1, 1, 1)
    assert summary.compliance is Compliance.OVER_LIMIT
    ann = store.clients.usage(user="ann")[0]
    assert ann.usage_count == 2 and ann.licensed
    store.ledger.add("Office", 1, ADMIN, agreed=True)
    summary = {s.name: s for s in store.usage.summaries()}["Office"]
    assert (summary.per_seat_allocated, summary.per_seat_unlicensed) == (2, 0)
    assert summary.compliance is Compliance.AT_LIMIT
    store.ledger.remove("Office", 1, ADMIN)
    assert not store.clients.usage(user="bob")[0].licensed  # the newest holder loses the license
    store.clients.delete("ann", ADMIN)
    assert store.clients.usage(user="bob")[0].licensed
    with pytest.raises(InvalidInput, match="unknown client"):
        store.clients.delete("ann", ADMIN)


def test_license_groups_share_licenses(store: Store) -> None:
    product = store.products.add("Office", ADMIN, mode=LicenseMode.PER_SEAT, limit=3, agreed=True)
    store.groups.add("Lab", 2, ADMIN, description="shift workers")
    store.groups.add_members("Lab", ["ann", "bob"], ADMIN)
    group_id = store.groups.get("lab").group_id
    for user in ("ann", "bob"):
        _use(store, product.product_id, user, True, group_id)
    _use(store, product.product_id, "carl", True)
    summary = {s.name: s for s in store.usage.summaries()}["Office"]
    assert summary.per_seat_allocated == 3
    with pytest.raises(InvalidInput, match="already exists"):
        store.groups.add("LAB", 1, ADMIN)
    store.groups.add("Other", 1, ADMIN)
    with pytest.raises(InvalidInput, match="already a member"):
        store.groups.add_members("Other", ["ann"], ADMIN)
    store.groups.remove("Lab", ADMIN)
    summary = {s.name: s for s in store.usage.summaries()}["Office"]
    assert (summary.per_seat_allocated, summary.per_seat_unlicensed) == (3, 0)


def test_replication_settings_round_trip_and_validation(store: Store) -> None:
    wanted = ReplicationSettings("enterprise-server", "lic-master.example.com", "start-at", "2:30", 24)
    saved = store.replication.set(wanted, ADMIN)
    assert (saved.enterprise_server, saved.start_at, saved.administrator) == (
        "lic-master.example.com",
        "02:30",
        ADMIN,
    )
    for bad in (
        ReplicationSettings("enterprise-server", "bad host!", "every", "00:00", 24),
        ReplicationSettings("domain-controller", "", "every", "00:00", 73),
        ReplicationSettings("domain-controller", "", "start-at", "24:00", 24),
    ):
        with pytest.raises(InvalidInput):
            store.replication.set(bad, ADMIN)
    assert store.replication.get().start_at == "02:30"


def test_a_replication_change_at_a_stale_revision_is_refused_and_nothing_is_written(store: Store) -> None:
    first = store.replication.get()
    assert first.revision == 1  # a fresh store: the settings as created
    seen_by_both = first.revision
    mine = ReplicationSettings("enterprise-server", "lic-master", "every", "00:00", 6)
    saved = store.replication.set(mine, "first admin", expected_revision=seen_by_both)
    assert saved.revision == seen_by_both + 1
    theirs = ReplicationSettings("domain-controller", "", "start-at", "03:00", 24)
    with pytest.raises(ConcurrentChange, match="replication settings were changed by someone else"):
        store.replication.set(theirs, "second admin", expected_revision=seen_by_both)
    now = store.replication.get()
    assert (now.enterprise_server, now.every_hours, now.administrator, now.revision) == (
        "lic-master",
        6,
        "first admin",
        saved.revision,
    )
    # Without an expected revision (lls replication set, the configuration file) the change is made.
    assert store.replication.set(theirs, "lls").revision == saved.revision + 1


def test_resets_follow_the_original_procedures(store: Store) -> None:
    product = store.products.add("Office", ADMIN, mode=LicenseMode.PER_SEAT, limit=1, agreed=True)
    store.groups.add("Lab", 1, ADMIN)
    _use(store, product.product_id, "ann", True)
    store.reset("usage", ADMIN)
    assert store.clients.usage() == [] and store.groups.list() and store.ledger.history()
    store.reset("all", ADMIN)
    assert store.groups.list() == []
    assert [(line.comment, line.quantity) for line in store.ledger.history()] == [
        ("balance carried forward (purchase history reset)", 1)
    ]
    assert [p.name for p in store.products.list()] == [builtin_product_name(), "Office"]


def test_every_administrative_change_is_audited_with_who_and_when(store: Store) -> None:
    revision = store.config_revision()
    store.products.add("IIS", ADMIN)
    store.ledger.add("IIS", 2, ADMIN, agreed=True)
    trail = store.audit_trail()
    assert [row[2] for row in trail[:2]] == ["add licenses", "product add"]
    assert all(row[1] == ADMIN and row[0] for row in trail)
    assert store.config_revision() == revision + 2
    assert [e.event_id for e in store.events.list(product="IIS")] == [236, 233]


def test_a_newer_database_is_refused(data_dir: Path) -> None:
    Store.open(data_dir).close()
    connection = sqlite3.connect(data_dir / "licensing.sqlite3")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(DatabaseTooNew, match="newer"):
        Store.open(data_dir)


def test_migration_takes_a_backup_first(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from applet.store import schema
    from applet.store import store as store_module

    Store.open(data_dir).close()
    calls: list[int] = []

    def add_column(connection: sqlite3.Connection) -> None:
        calls.append(1)
        connection.execute("ALTER TABLE servers ADD COLUMN note TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*schema.MIGRATIONS, add_column])
    with Store.open(data_dir) as upgraded:
        assert upgraded.db.schema_version() == SCHEMA_VERSION + 1
    assert calls == [1]
    backups = list((data_dir / "backups").iterdir())
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    copy.close()


def test_a_failed_migration_changes_nothing(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from applet.store import schema
    from applet.store import store as store_module

    Store.open(data_dir).close()

    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE servers ADD COLUMN note TEXT")
        raise RuntimeError("boom")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError):
        Store.open(data_dir)
    monkeypatch.setattr(store_module, "MIGRATIONS", schema.MIGRATIONS)
    with Store.open(data_dir) as store:
        assert store.db.schema_version() == SCHEMA_VERSION
        columns = [row[1] for row in store.db.connection.execute("PRAGMA table_info(servers)")]
        assert "note" not in columns


def test_a_corrupt_file_is_reported(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "licensing.sqlite3").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DatabaseCorrupt, match="corrupt"):
        Store.open(data_dir)
    assert (data_dir / "licensing.sqlite3").read_bytes().startswith(b"this is not")


def test_a_database_locked_by_another_writer(data_dir: Path, store_snapshot: Callable[[], list[str]]) -> None:
    with Store.open(data_dir):
        before = store_snapshot()
        blocker = sqlite3.connect(data_dir / "licensing.sqlite3", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            with Store.open(data_dir, busy_timeout=0.2) as second, pytest.raises(DatabaseLocked):
                second.products.add("IIS", ADMIN)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert store_snapshot() == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_an_unwritable_data_folder_as_ordinary_user(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(DataFolderUnwritable):
        Store.open(locked / "data")


def test_an_unwritable_data_folder(tmp_path: Path) -> None:
    # A regular file where the folder should be cannot be made a folder, even by root.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataFolderUnwritable, match="cannot create"):
        Store.open(blocker / "data")
