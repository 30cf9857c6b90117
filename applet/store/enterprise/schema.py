"""The enterprise database's migrations: one list of portable SQL for SQLite and PostgreSQL.

Migration ``n`` takes the database from version ``n`` to ``n + 1``; each runs in one transaction with its
version bump (``ent_meta.schema_version``), under the dialect's migration lock. Never edit a released
migration: append one. Names and users are keyed by their case-folded form (``*_key`` columns), the way
the local store compares them (``COLLATE NOCASE``), which PostgreSQL has no portable spelling for.
"""

from collections.abc import Sequence

from applet.store.database import DatabaseTooNew
from applet.store.enterprise.dialect import Connection

V1 = (
    "CREATE TABLE ent_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # Enrolled servers; the master itself has a row too (is_self), so its own data arrives the same way.
    """CREATE TABLE ent_servers (
        server_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        is_self INTEGER NOT NULL DEFAULT 0,
        enrolled TEXT NOT NULL,
        revoked TEXT,
        last_seq BIGINT NOT NULL DEFAULT 0,
        last_replication TEXT,
        batches BIGINT NOT NULL DEFAULT 0,
        rows_stored BIGINT NOT NULL DEFAULT 0,
        last_refusal TEXT
    )""",
    # Which sender an origin's rows come through (the first that delivered them).
    "CREATE TABLE ent_origins (origin_key TEXT PRIMARY KEY, origin TEXT NOT NULL, via_key TEXT NOT NULL)",
    """CREATE TABLE ent_products (
        origin_key TEXT NOT NULL,
        product_key TEXT NOT NULL,
        name TEXT NOT NULL,
        mode TEXT NOT NULL,
        per_server_licenses BIGINT NOT NULL,
        per_seat_licenses BIGINT NOT NULL,
        peak BIGINT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (origin_key, product_key)
    )""",
    """CREATE TABLE ent_seat_uses (
        origin_key TEXT NOT NULL,
        product_key TEXT NOT NULL,
        user_key TEXT NOT NULL,
        user_name TEXT NOT NULL,
        first_used TEXT NOT NULL,
        last_used TEXT NOT NULL,
        usage_count BIGINT NOT NULL,
        PRIMARY KEY (origin_key, product_key, user_key)
    )""",
    "CREATE INDEX ent_seat_uses_by_user ON ent_seat_uses (user_key)",
    """CREATE TABLE ent_samples (
        origin_key TEXT NOT NULL,
        product_key TEXT NOT NULL,
        minute BIGINT NOT NULL,
        max_in_use BIGINT NOT NULL,
        requests BIGINT NOT NULL,
        denials BIGINT NOT NULL,
        PRIMARY KEY (origin_key, product_key, minute)
    )""",
    """CREATE TABLE ent_purchases (
        origin_key TEXT NOT NULL,
        origin_id BIGINT NOT NULL,
        product_key TEXT NOT NULL,
        product TEXT NOT NULL,
        mode TEXT NOT NULL,
        quantity BIGINT NOT NULL,
        administrator TEXT NOT NULL,
        comment TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (origin_key, origin_id)
    )""",
    "CREATE INDEX ent_purchases_by_product ON ent_purchases (product_key, mode)",
    """CREATE TABLE ent_events (
        origin_key TEXT NOT NULL,
        origin_id BIGINT NOT NULL,
        event_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        time TEXT NOT NULL,
        product TEXT,
        message TEXT NOT NULL,
        PRIMARY KEY (origin_key, origin_id)
    )""",
    # The enterprise Per Seat pool of each product, and who holds a license from it: ``arrival`` ranks
    # users by first use as the master learnt of them, ``licensed_order`` by when they were licensed
    # (NULL while waiting), as applet.domain.counting's stable rule needs.
    """CREATE TABLE ent_pools (
        product_key TEXT PRIMARY KEY,
        product TEXT NOT NULL,
        purchased BIGINT NOT NULL DEFAULT 0,
        allocated BIGINT NOT NULL DEFAULT 0,
        users BIGINT NOT NULL DEFAULT 0,
        next_arrival BIGINT NOT NULL DEFAULT 0,
        next_order BIGINT NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE ent_seats (
        product_key TEXT NOT NULL,
        user_key TEXT NOT NULL,
        user_name TEXT NOT NULL,
        arrival BIGINT NOT NULL,
        licensed_order BIGINT,
        first_used TEXT NOT NULL,
        last_used TEXT NOT NULL,
        PRIMARY KEY (product_key, user_key)
    )""",
    "CREATE INDEX ent_seats_by_arrival ON ent_seats (product_key, arrival)",
    "INSERT INTO ent_meta (key, value) VALUES ('schema_version', '0')",
)

# Release 2: what a master forwards to its own master, deletions, license groups.
#   * ``via_seq`` on every replicated row: the number of the sender's batch that last wrote it, so a
#     master that replicates upwards forwards what changed since the last batch of each sender it
#     forwarded (rows stored before this migration count as the sender's batch 1);
#   * ``ent_seat_deletions``: a Per Seat client (or one product's use of it) deleted on its origin,
#     kept so the deletion travels further up;
#   * ``ent_groups``: each origin's license groups (members as a JSON list of names);
#   * ``ent_pools.unlicensed``: users waiting for a license;
#   * ``ent_servers.instance``: which master instance a self row belongs to, so several masters
#     sharing one PostgreSQL each enter their own data under their own name, once.
V2 = (
    *(
        f"ALTER TABLE {table} ADD COLUMN via_seq BIGINT NOT NULL DEFAULT 0"
        for table in ("ent_products", "ent_seat_uses", "ent_samples", "ent_purchases", "ent_events")
    ),
    *(
        f"UPDATE {table} SET via_seq = 1"
        for table in ("ent_products", "ent_seat_uses", "ent_samples", "ent_purchases", "ent_events")
    ),
    "CREATE INDEX ent_seat_uses_by_seq ON ent_seat_uses (origin_key, via_seq)",
    "CREATE INDEX ent_samples_by_seq ON ent_samples (origin_key, via_seq)",
    "CREATE INDEX ent_purchases_by_seq ON ent_purchases (origin_key, via_seq)",
    "CREATE INDEX ent_events_by_seq ON ent_events (origin_key, via_seq)",
    """CREATE TABLE ent_seat_deletions (
        origin_key TEXT NOT NULL,
        product_key TEXT NOT NULL,
        user_key TEXT NOT NULL,
        product TEXT NOT NULL,
        user_name TEXT NOT NULL,
        via_seq BIGINT NOT NULL,
        PRIMARY KEY (origin_key, product_key, user_key)
    )""",
    "CREATE INDEX ent_seat_deletions_by_seq ON ent_seat_deletions (origin_key, via_seq)",
    """CREATE TABLE ent_groups (
        origin_key TEXT NOT NULL,
        group_key TEXT NOT NULL,
        name TEXT NOT NULL,
        licenses BIGINT NOT NULL,
        members TEXT NOT NULL,
        via_seq BIGINT NOT NULL,
        PRIMARY KEY (origin_key, group_key)
    )""",
    "ALTER TABLE ent_servers ADD COLUMN instance TEXT",
    # With groups, a licensed holder may hold more licenses than it has users: unlicensed users are
    # counted, no longer derived as users - allocated (which release 1's pools still are).
    "ALTER TABLE ent_pools ADD COLUMN unlicensed BIGINT NOT NULL DEFAULT 0",
    "UPDATE ent_pools SET unlicensed = users - allocated",
)

# A product removed on its origin (``lls product remove``): kept for the record, as on the server, and
# left out of the reports as the server leaves it out of its own.
V3 = ("ALTER TABLE ent_products ADD COLUMN removed TEXT",)

# Release 4: the enterprise usage chart (applet.store.enterprise.usage) reads sums kept as samples
# arrive, never a thousand servers' minutes: the enterprise's total per product and minute, and the
# highest minute per hour of each server (origin_key) and of the enterprise (origin_key '').
V4 = (
    """CREATE TABLE ent_usage_minutes (
        product_key TEXT NOT NULL,
        minute BIGINT NOT NULL,
        total BIGINT NOT NULL,
        PRIMARY KEY (product_key, minute)
    )""",
    "INSERT INTO ent_usage_minutes (product_key, minute, total) "
    "SELECT product_key, minute, SUM(max_in_use) FROM ent_samples GROUP BY product_key, minute",
    """CREATE TABLE ent_usage_hours (
        product_key TEXT NOT NULL,
        origin_key TEXT NOT NULL,
        hour BIGINT NOT NULL,
        peak BIGINT NOT NULL,
        PRIMARY KEY (product_key, origin_key, hour)
    )""",
    "INSERT INTO ent_usage_hours (product_key, origin_key, hour, peak) "
    "SELECT product_key, origin_key, minute / 60, MAX(max_in_use) FROM ent_samples "
    "GROUP BY product_key, origin_key, minute / 60",
    "INSERT INTO ent_usage_hours (product_key, origin_key, hour, peak) "
    "SELECT product_key, '', minute / 60, MAX(total) FROM ent_usage_minutes "
    "GROUP BY product_key, minute / 60",
)

# Release 4, too: ``ent_seats_by_arrival`` goes. Every batch of new users paid for it (about a fifth
# of writing their ent_seats rows, measured with 1,000 users a batch), and one query used it: settling
# a product's whole pool (purchases, deletions, group changes), which reads all of the product's seats
# anyway and now sorts them by arrival itself.
V5 = ("DROP INDEX ent_seats_by_arrival",)

MIGRATIONS: tuple[Sequence[str], ...] = (V1, V2, V3, V4, V5)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: Connection) -> int:
    """The database's version (0 when empty)."""
    return _version_in_transaction(connection)


def migrate(connection: Connection) -> None:
    """Bring the database to :data:`SCHEMA_VERSION` (refuses a newer one)."""
    if schema_version(connection) == SCHEMA_VERSION:
        return
    with connection.transaction():
        connection.lock_migrations()
        # Read again under the lock: another master instance may have migrated meanwhile.
        current = _version_in_transaction(connection)
        if current > SCHEMA_VERSION:
            raise DatabaseTooNew(
                f"the enterprise database {connection.description} has schema version {current}, newer "
                f"than this program's {SCHEMA_VERSION}"
            )
        for version in range(current, SCHEMA_VERSION):
            for statement in MIGRATIONS[version]:
                connection.execute(statement)
            connection.execute(
                "UPDATE ent_meta SET value = ? WHERE key = 'schema_version'", (str(version + 1),)
            )


def _version_in_transaction(connection: Connection) -> int:
    exists = connection.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ent_meta'"
        if connection.dialect == "sqlite"
        else "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'ent_meta' "
        "AND table_schema = current_schema()"
    )
    if not exists[0][0]:
        return 0
    rows = connection.execute("SELECT value FROM ent_meta WHERE key = 'schema_version'")
    return int(rows[0][0]) if rows else 0
