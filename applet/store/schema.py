"""Schema migrations, in order. Migration ``n`` takes the file from version ``n`` to ``n + 1``.

Never edit a released migration: append a new one. Each runs inside one transaction together with its
``PRAGMA user_version`` bump (see :meth:`applet.store.database.Database.migrate`).
"""

import sqlite3

from applet.store.database import Migration, utc_now

SCHEMA_V1 = """
CREATE TABLE products (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    family          TEXT NOT NULL DEFAULT '',
    version         TEXT NOT NULL DEFAULT '',
    mode            TEXT NOT NULL CHECK (mode IN ('per-server', 'per-seat')),
    flip_allowed    INTEGER NOT NULL DEFAULT 1,
    builtin         INTEGER NOT NULL DEFAULT 0,
    peak_in_use     INTEGER NOT NULL DEFAULT 0,
    observe_tcp_port INTEGER,
    observe_sessions INTEGER NOT NULL DEFAULT 0,
    revision        INTEGER NOT NULL DEFAULT 1,
    created         TEXT NOT NULL,
    removed         TEXT
);

-- Append-only: rows are inserted, never updated; a removal is a negative quantity.
CREATE TABLE purchases (
    id              INTEGER PRIMARY KEY,
    product_id      INTEGER NOT NULL REFERENCES products(id),
    mode            TEXT NOT NULL CHECK (mode IN ('per-server', 'per-seat')),
    quantity        INTEGER NOT NULL CHECK (quantity <> 0),
    administrator   TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    created         TEXT NOT NULL
);
CREATE INDEX purchases_by_product ON purchases (product_id, mode, quantity);

CREATE TABLE license_groups (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description     TEXT NOT NULL DEFAULT '',
    licenses        INTEGER NOT NULL CHECK (licenses >= 0),
    created         TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id        INTEGER NOT NULL REFERENCES license_groups(id) ON DELETE CASCADE,
    user            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    PRIMARY KEY (group_id, user)
);

-- One row per (product, user) that used a Per Seat product.
CREATE TABLE seat_clients (
    id              INTEGER PRIMARY KEY,
    product_id      INTEGER NOT NULL REFERENCES products(id),
    user            TEXT NOT NULL COLLATE NOCASE,
    group_id        INTEGER REFERENCES license_groups(id) ON DELETE SET NULL,
    first_used      TEXT NOT NULL,
    last_used       TEXT NOT NULL,
    usage_count     INTEGER NOT NULL DEFAULT 1,
    licensed        INTEGER NOT NULL,
    UNIQUE (product_id, user)
);
CREATE INDEX seat_clients_allocation ON seat_clients (product_id, licensed, group_id);
CREATE INDEX seat_clients_by_user ON seat_clients (user);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL,
    type            TEXT NOT NULL,
    source          TEXT NOT NULL,
    time            TEXT NOT NULL,
    product         TEXT,
    message         TEXT NOT NULL,
    parameters      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX events_by_time ON events (time);
CREATE INDEX events_by_product ON events (product, id);

-- Per product per minute (minute = Unix time // 60).
CREATE TABLE usage_samples (
    product_id      INTEGER NOT NULL REFERENCES products(id),
    minute          INTEGER NOT NULL,
    max_in_use      INTEGER NOT NULL DEFAULT 0,
    requests        INTEGER NOT NULL DEFAULT 0,
    denials         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, minute)
) WITHOUT ROWID;

CREATE TABLE replication (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    master          TEXT NOT NULL CHECK (master IN ('domain-controller', 'enterprise-server')),
    enterprise_server TEXT NOT NULL DEFAULT '',
    frequency       TEXT NOT NULL CHECK (frequency IN ('start-at', 'every')),
    start_at        TEXT NOT NULL DEFAULT '00:00',
    every_hours     INTEGER NOT NULL DEFAULT 24 CHECK (every_hours BETWEEN 1 AND 72),
    changed         TEXT NOT NULL,
    administrator   TEXT NOT NULL
);

CREATE TABLE servers (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    site            TEXT NOT NULL DEFAULT '',
    is_local        INTEGER NOT NULL DEFAULT 0,
    last_seen       TEXT
);

CREATE TABLE settings (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL
);

-- Who changed what, when: every administrative change.
CREATE TABLE audit (
    id              INTEGER PRIMARY KEY,
    time            TEXT NOT NULL,
    administrator   TEXT NOT NULL,
    action          TEXT NOT NULL,
    product         TEXT,
    detail          TEXT NOT NULL DEFAULT ''
);
"""


def builtin_product_name() -> str:
    """The file-and-print server product of this machine, named for its OS (the original's FilePrint)."""
    import platform  # only when creating a store

    system = platform.system() or "Server"
    pretty = {"Darwin": "macOS", "Windows": "Windows"}.get(system, system)
    return f"{pretty} Server"


def _v1_initial(connection: sqlite3.Connection) -> None:
    # executescript() would commit the open transaction, so run the statements one by one
    # (comments first removed: they may contain semicolons).
    body = "\n".join(line for line in SCHEMA_V1.splitlines() if not line.lstrip().startswith("--"))
    for statement in body.split(";"):
        if statement.strip():
            connection.execute(statement)
    import platform

    now = utc_now()
    # Like a freshly installed server: the built-in file-and-print product, Per Server, with its
    # sessions observed, and no licenses until the administrator adds them (the original's setup
    # default for new products was Per Server with 0 concurrent connections).
    connection.execute(
        "INSERT INTO products (name, family, version, mode, builtin, observe_sessions, created) "
        "VALUES (?, 'File and Print', ?, 'per-server', 1, 1, ?)",
        (builtin_product_name(), platform.release(), now),
    )
    connection.execute(
        "INSERT INTO replication (id, master, frequency, every_hours, changed, administrator) "
        "VALUES (1, 'domain-controller', 'every', 24, ?, 'setup')",
        (now,),
    )
    connection.execute(
        "INSERT INTO servers (name, is_local, last_seen) VALUES (?, 1, ?)",
        (platform.node() or "localhost", now),
    )
    connection.execute("INSERT INTO settings (key, value) VALUES ('config_revision', '1')")


def _v2_seat_licensing_order(connection: sqlite3.Connection) -> None:
    # Stable Per Seat allocation (applet.domain.counting) must know when each holder was licensed, so
    # that a removal takes licenses from the most recently licensed first and nothing else takes any.
    # Release 1 licensed holders in order of first use, so that order is the best record of it: a
    # license group's rows share their earliest row's number.
    connection.execute("ALTER TABLE seat_clients ADD COLUMN licensed_order INTEGER")
    connection.execute(
        """
        UPDATE seat_clients SET licensed_order = CASE
            WHEN group_id IS NOT NULL
                 AND (SELECT licenses FROM license_groups g WHERE g.id = seat_clients.group_id) > 0
            THEN (SELECT MIN(s.id) FROM seat_clients s
                  WHERE s.product_id = seat_clients.product_id AND s.group_id = seat_clients.group_id)
            ELSE id END
        WHERE licensed
        """
    )
    connection.execute(
        "CREATE INDEX seat_clients_licensed_order ON seat_clients (product_id, licensed_order)"
    )


def _v3_certificates(connection: sqlite3.Connection) -> None:
    """Certificates: what each ledger line is (``kind``) and which purchase a removal drew from.

    Removals recorded before named no certificate (``certificate_id`` NULL); the ledger rules draw
    them from the newest certificates with licenses left. Products changed to Per Seat under the
    previous release still held their Per Server licenses: they are given up now by one appended
    line, as the change itself does from this release on.
    """
    # Here: every open of the store imports this module, only an upgrade from release 2 runs this.
    from applet.domain.ledger import GIVE_UP_COMMENT

    connection.execute("ALTER TABLE purchases ADD COLUMN certificate_id INTEGER REFERENCES purchases(id)")
    connection.execute(
        "ALTER TABLE purchases ADD COLUMN kind TEXT NOT NULL DEFAULT 'purchase' "
        "CHECK (kind IN ('purchase', 'removal', 'carried-forward', 'mode-change'))"
    )
    connection.execute("UPDATE purchases SET kind = 'removal' WHERE quantity < 0")
    connection.execute("CREATE INDEX purchases_by_certificate ON purchases (certificate_id)")
    now = utc_now()
    held = connection.execute(
        "SELECT p.id, p.name, SUM(pu.quantity) FROM products p JOIN purchases pu ON pu.product_id = p.id "
        "WHERE p.mode = 'per-seat' AND pu.mode = 'per-server' GROUP BY p.id HAVING SUM(pu.quantity) > 0"
    ).fetchall()
    for product_id, name, licenses in held:
        connection.execute(
            "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created, kind) "
            "VALUES (?, 'per-server', ?, 'upgrade', ?, ?, 'mode-change')",
            (product_id, -licenses, f"{GIVE_UP_COMMENT} (recorded on upgrade)", now),
        )
        connection.execute(
            "INSERT INTO audit (time, administrator, action, product, detail) "
            "VALUES (?, 'upgrade', 'remove licenses', ?, ?)",
            (now, name, f"{-licenses} per-server given up: the product is Per Seat"),
        )


def _v4_seat_deletions(connection: sqlite3.Connection) -> None:
    """Deleted Per Seat clients, so a deletion replicates to the master (applet.store.outbox).

    A trigger records every deleted ``seat_clients`` row, whichever path deleted it (``lls clients
    delete``, a revoked product, ``lls reset usage``): the outbox sends them in order of ``id`` and
    the master forgets that use. Product and user are kept by name: a product is never deleted, only
    marked removed.
    """
    connection.execute(
        "CREATE TABLE seat_deletions (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, "
        "user TEXT NOT NULL, deleted TEXT NOT NULL)"
    )
    connection.execute(
        "CREATE TRIGGER seat_clients_deleted AFTER DELETE ON seat_clients BEGIN "
        "INSERT INTO seat_deletions (product_id, user, deleted) "
        "VALUES (old.product_id, old.user, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')); END"
    )


MIGRATIONS: list[Migration] = [_v1_initial, _v2_seat_licensing_order, _v3_certificates, _v4_seat_deletions]
SCHEMA_VERSION = len(MIGRATIONS)
