"""The master's side: enrolment, storing batches exactly once, the enterprise Per Seat pool, reports.

See the package docstring for the protocol. Every method opens its own transaction; an
:class:`EnterpriseStore` is one connection, used by one thread at a time.
"""

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from applet.domain.errors import InvalidInput
from applet.domain.replication import clean_server_name
from applet.store.database import utc_now
from applet.store.enterprise.batch import Batch, CaseFolded
from applet.store.enterprise.dialect import Connection, connect
from applet.store.enterprise.pools import IngestResult, StagedUse, allocate, effective_groups
from applet.store.enterprise.schema import migrate
from applet.store.enterprise.usage import record_samples

ENTERPRISE_FILE = "enterprise.sqlite3"
_CHUNK = 500


class ReplicationRefused(Exception):
    """A batch the master will not store; ``status`` is the HTTP status to answer with."""

    status = 409


class NotAuthorized(ReplicationRefused):
    """Not enrolled, revoked, or a wrong secret."""

    status = 401


def secret_digest(secret: str) -> str:
    """What the database keeps of a server's secret (the secret is 256 random bits: no salt needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def open_enterprise(
    location: str | Path | None, data_dir: Path, self_name: str, instance: str | None = None
) -> "EnterpriseStore":
    """Open (creating and migrating) the enterprise database: a PostgreSQL URL, or the SQLite default.

    ``instance``: this master instance's id (see :meth:`EnterpriseStore._ensure_self`).
    """
    connection = connect(location or data_dir / ENTERPRISE_FILE)
    try:
        migrate(connection)
        return EnterpriseStore(connection, self_name, instance)
    except BaseException:
        connection.close()
        raise


class EnterpriseStore:
    """The enterprise database of a master (see the package docstring)."""

    def __init__(self, connection: Connection, self_name: str, instance: str | None = None) -> None:
        self.db = connection
        self.self_name = self_name
        self.self_key = self_name.casefold()
        self._ensure_self(instance)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _ensure_self(self, instance: str | None) -> None:
        """This master's own row: its own data arrives as batches from itself (no secret, no HTTP).

        Several master instances may share one database (PostgreSQL), each entering its own data
        under its own name, exactly once: the row is claimed by the instance (``instance``: a random
        id kept in the instance's own store). An instance keeps the row it claimed; one whose name
        another instance holds takes the name with its id appended (``HOST-1a2b3c``), so neither
        one's data is taken for the other's.
        """
        if instance is None:
            self.db.execute(
                "INSERT INTO ent_servers (server_key, name, secret_sha256, is_self, enrolled) "
                "VALUES (?, ?, '', 1, ?) ON CONFLICT (server_key) DO NOTHING",
                (self.self_key, self.self_name, utc_now()),
            )
            return
        with self.db.transaction() as db:
            claimed = db.execute(
                "SELECT name FROM ent_servers WHERE is_self = 1 AND instance = ? "
                "ORDER BY server_key = ? DESC",
                (instance, self.self_key),
            )
            if not claimed:
                holder = db.execute(
                    f"SELECT is_self, instance FROM ent_servers WHERE server_key = ?{db.for_update}",
                    (self.self_key,),
                )
                if holder and not (holder[0][0] and holder[0][1] is None):
                    self.self_name = f"{self.self_name}-{instance[:6]}"
                db.execute(
                    "INSERT INTO ent_servers (server_key, name, secret_sha256, is_self, enrolled, instance) "
                    "VALUES (?, ?, '', 1, ?, ?) ON CONFLICT (server_key) DO UPDATE SET instance = ?",
                    (self.self_name.casefold(), self.self_name, utc_now(), instance, instance),
                )
            else:
                self.self_name = str(claimed[0][0])
        self.self_key = self.self_name.casefold()

    # ------------------------------------------------------------------ enrolment

    def enroll(self, name: object) -> str:
        """Enrol a server (or re-enrol a revoked one) and return its new secret."""
        server = clean_server_name(name)
        key = server.casefold()
        if key == self.self_key:
            raise InvalidInput(f"{server} is this master itself; it needs no enrolment")
        secret = secrets.token_urlsafe(32)
        with self.db.transaction() as db:
            rows = db.execute(f"SELECT revoked FROM ent_servers WHERE server_key = ?{db.for_update}", (key,))
            if rows and rows[0][0] is None:
                raise InvalidInput(
                    f"{server} is already enrolled; `lls enterprise remove {server}` first to give it "
                    "a new secret"
                )
            if rows:
                db.execute(
                    "UPDATE ent_servers SET secret_sha256 = ?, revoked = NULL, enrolled = ?, name = ? "
                    "WHERE server_key = ?",
                    (secret_digest(secret), utc_now(), server, key),
                )
            else:
                db.execute(
                    "INSERT INTO ent_servers (server_key, name, secret_sha256, enrolled) VALUES (?, ?, ?, ?)",
                    (key, server, secret_digest(secret), utc_now()),
                )
        return secret

    def remove(self, name: object) -> None:
        """Revoke a server's secret: its batches are refused from now on (its data is kept)."""
        server = clean_server_name(name)
        with self.db.transaction() as db:
            rows = db.execute(
                "SELECT revoked FROM ent_servers WHERE server_key = ? AND is_self = 0", (server.casefold(),)
            )
            if not rows or rows[0][0] is not None:
                raise InvalidInput(f"{server} is not enrolled with this master")
            db.execute(
                "UPDATE ent_servers SET revoked = ? WHERE server_key = ?", (utc_now(), server.casefold())
            )

    def servers(self) -> list[dict[str, Any]]:
        """Enrolled servers (and this master) with their replication state."""
        rows = self.db.execute(
            "SELECT name, is_self, enrolled, revoked, last_seq, last_replication, batches, rows_stored, "
            "last_refusal FROM ent_servers ORDER BY is_self DESC, server_key"
        )
        result = []
        for name, is_self, enrolled, revoked, last_seq, last, batches, stored, refusal in rows:
            if is_self:
                state = "this master"
            elif revoked:
                state = "revoked"
            else:
                state = "replicating" if last else "enrolled, never replicated"
            result.append(
                {
                    "name": name,
                    "state": state,
                    "enrolled": enrolled,
                    "revoked": revoked,
                    "last_replication": last,
                    "last_seq": int(last_seq),
                    "batches": int(batches),
                    "rows": int(stored),
                    "last_refusal": refusal,
                }
            )
        return result

    def record_refusal(self, server: str, reason: str) -> None:
        """Note why the last batch of a known server was refused (shown by ``lls enterprise servers``)."""
        self.db.execute(
            "UPDATE ent_servers SET last_refusal = ? WHERE server_key = ?",
            (f"{utc_now()} {reason}"[:500], server.casefold()),
        )

    # ------------------------------------------------------------------ ingest

    def ingest(self, batch: Batch, secret: str | None) -> IngestResult:
        """Store a batch exactly once (see the package docstring); raises :class:`ReplicationRefused`."""
        key = batch.server.casefold()
        with self.db.transaction() as db:
            rows = db.execute(
                "SELECT secret_sha256, revoked, last_seq, is_self FROM ent_servers WHERE server_key = ?"
                f"{db.for_update}",
                (key,),
            )
            if not rows:
                raise NotAuthorized(f"server {batch.server} is not enrolled with this master")
            digest, revoked, last_seq, is_self = rows[0]
            if is_self and secret is not None:
                raise NotAuthorized(f"{batch.server} is this master's own name")
            if not is_self and (secret is None or not hmac.compare_digest(digest, secret_digest(secret))):
                raise NotAuthorized(f"wrong secret for server {batch.server}")
            if revoked:
                raise NotAuthorized(f"server {batch.server} was removed from this master on {revoked}")
            last_seq = int(last_seq)
            if batch.seq <= last_seq:
                return IngestResult(batch.server, batch.seq, last_seq, duplicate=True)
            if batch.seq > last_seq + 1:
                raise ReplicationRefused(
                    f"batch {batch.seq} of {batch.server} leaves a gap: the last stored is {last_seq}"
                )
            self._check_origins(db, batch, key)
            result = IngestResult(batch.server, batch.seq, batch.seq, rows=batch.count())
            before = effective_groups(db) if batch.rows.get("groups") else None
            staged_uses = self._store_rows(db, batch)
            allocate(db, batch, result, before, staged_uses)
            db.execute(
                "UPDATE ent_servers SET last_seq = ?, last_replication = ?, batches = batches + 1, "
                "rows_stored = rows_stored + ?, last_refusal = NULL WHERE server_key = ?",
                (batch.seq, utc_now(), batch.count(), key),
            )
        return result

    def _check_origins(self, db: Connection, batch: Batch, sender_key: str) -> None:
        origins = {origin.casefold(): origin for origin in batch.origins()}
        for origin_key, origin in sorted(origins.items()):
            if origin_key == sender_key:
                pass
            elif origin_key == self.self_key:
                raise ReplicationRefused(
                    f"replication loop: {batch.server} sent rows of {origin}, this master, back to it"
                )
            else:
                enrolled = db.execute(
                    "SELECT 1 FROM ent_servers WHERE server_key = ? AND server_key <> ?",
                    (origin_key, sender_key),
                )
                if enrolled:
                    raise ReplicationRefused(
                        f"{batch.server} sent rows of {origin}, another server enrolled with this master"
                    )
            owner = db.execute("SELECT via_key FROM ent_origins WHERE origin_key = ?", (origin_key,))
            if owner and owner[0][0] != sender_key:
                raise ReplicationRefused(
                    f"{batch.server} sent rows of {origin}, which replicate through another server"
                )
            if not owner:
                db.execute(
                    "INSERT INTO ent_origins (origin_key, origin, via_key) VALUES (?, ?, ?)",
                    (origin_key, origin, sender_key),
                )

    def _store_rows(self, db: Connection, batch: Batch) -> list[StagedUse]:
        """Store the batch's rows; its Per Seat uses as staged (keyed, one row per key)."""
        # Every row is stamped with the batch's number (``via_seq``): what a master forwards upwards.
        now, seq = utc_now(), batch.seq
        deletions = batch.rows.get("deletions", [])
        if deletions:
            # Before the uses: a client deleted and used again since the last batch is there again.
            keyed = {(o.casefold(), p.casefold(), u.casefold()): (p, u) for o, p, u in deletions}
            db.executemany(
                "DELETE FROM ent_seat_uses WHERE origin_key = ? AND product_key = ? AND user_key = ?",
                list(keyed),
            )
            db.executemany(
                "INSERT INTO ent_seat_deletions (origin_key, product_key, user_key, product, user_name, "
                "via_seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin_key, product_key, user_key) "
                "DO UPDATE SET product = excluded.product, user_name = excluded.user_name, "
                "via_seq = excluded.via_seq",
                [(*key, product, user, seq) for key, (product, user) in keyed.items()],
            )
        groups = batch.rows.get("groups", [])
        if groups:
            db.executemany(
                "INSERT INTO ent_groups (origin_key, group_key, name, licenses, members, via_seq) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin_key, group_key) DO UPDATE SET "
                "name = excluded.name, licenses = excluded.licenses, members = excluded.members, "
                "via_seq = excluded.via_seq",
                [
                    (o.casefold(), n.casefold(), n, licenses, json.dumps(members), seq)
                    for o, n, licenses, members in groups
                ],
            )
        products = batch.rows.get("products", [])
        if products:
            db.executemany(
                "INSERT INTO ent_products (origin_key, product_key, name, mode, per_server_licenses, "
                "per_seat_licenses, peak, updated, via_seq, removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (origin_key, product_key) DO UPDATE SET name = excluded.name, "
                "mode = excluded.mode, per_server_licenses = excluded.per_server_licenses, "
                "per_seat_licenses = excluded.per_seat_licenses, peak = excluded.peak, "
                "updated = excluded.updated, via_seq = excluded.via_seq, removed = excluded.removed",
                [
                    (o.casefold(), n.casefold(), n, m, srv, seat, peak, now, seq, removed)
                    for o, n, m, srv, seat, peak, removed in products
                ],
            )
        seat_uses = batch.rows.get("seat_uses", [])
        staged: list[StagedUse] = []
        if seat_uses:
            # Keyed as the table is (a batch naming a user twice keeps the last), then merged in one
            # statement. The origin is authoritative for its own rows: a later batch replaces.
            folded = CaseFolded()
            staged = list(
                {
                    (key := (folded[o], folded[p], u.casefold())): (*key, u, f, last, c)
                    for o, p, u, f, last, c in seat_uses
                }.values()
            )
            db.stage(staged)
            db.execute(
                "INSERT INTO ent_seat_uses (origin_key, product_key, user_key, user_name, first_used, "
                "last_used, usage_count, via_seq) SELECT origin_key, product_key, user_key, user_name, "
                "first_used, last_used, usage_count, ? FROM ent_stage WHERE true "
                "ON CONFLICT (origin_key, product_key, user_key) DO UPDATE SET "
                "first_used = excluded.first_used, last_used = excluded.last_used, "
                "usage_count = excluded.usage_count, via_seq = excluded.via_seq",
                (seq,),
            )
        samples = batch.rows.get("samples", [])
        if samples:
            # With the usage chart's sums (applet.store.enterprise.usage).
            record_samples(db, samples, seq)
        purchases = batch.rows.get("purchases", [])
        if purchases:
            db.executemany(
                "INSERT INTO ent_purchases (origin_key, origin_id, product_key, product, mode, quantity, "
                "administrator, comment, created, via_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (origin_key, origin_id) DO NOTHING",
                [
                    (o.casefold(), i, p.casefold(), p, m, q, a, c, t, seq)
                    for o, i, p, m, q, a, c, t in purchases
                ],
            )
        events = batch.rows.get("events", [])
        if events:
            db.executemany(
                "INSERT INTO ent_events (origin_key, origin_id, event_id, type, time, product, message, "
                "via_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin_key, origin_id) DO NOTHING",
                [(o.casefold(), *rest, seq) for o, *rest in events],
            )
        return staged

    # ------------------------------------------------------------------ reports

    def products(self) -> list[dict[str, Any]]:
        """Per product: the enterprise Per Seat pool, and Per Server licenses and peak per server."""
        report: dict[str, dict[str, Any]] = {}

        def entry(key: str, name: str) -> dict[str, Any]:
            return report.setdefault(
                key,
                {
                    "product": name,
                    "per_seat": {"purchased": 0, "allocated": 0, "unlicensed": 0, "users": 0},
                    "per_server": [],
                },
            )

        for key, name, purchased, allocated, users, unlicensed in self.db.execute(
            "SELECT product_key, product, purchased, allocated, users, unlicensed FROM ent_pools"
        ):
            entry(key, name)["per_seat"] = {
                "purchased": int(purchased),
                "allocated": int(allocated),
                "unlicensed": int(unlicensed),
                "users": int(users),
            }
        for key, name, server, mode, licenses, peak in self.db.execute(
            "SELECT p.product_key, p.name, o.origin, p.mode, p.per_server_licenses, p.peak "
            "FROM ent_products p JOIN ent_origins o ON o.origin_key = p.origin_key "
            "WHERE p.removed IS NULL ORDER BY o.origin_key"
        ):
            if mode == "per-server":
                entry(key, name)["per_server"].append(
                    {"server": server, "purchased": int(licenses), "peak": int(peak)}
                )
            else:
                entry(key, name)
        return [report[key] for key in sorted(report)]

    def clients(self, product: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Per Seat users of the enterprise: products, servers, licensed or not, last use."""
        where, params = ("WHERE s.product_key = ?", [product.casefold()]) if product else ("", [])
        rows = self.db.execute(
            "SELECT s.user_key, s.user_name, p.product, s.licensed_order, s.last_used FROM ent_seats s "
            f"JOIN ent_pools p ON p.product_key = s.product_key {where} ORDER BY s.user_key, s.product_key",
            params,
        )
        users: dict[str, dict[str, Any]] = {}
        for user_key, user_name, product_name, licensed, last_used in rows:
            if user_key not in users:
                if len(users) >= limit:
                    break
                users[user_key] = {
                    "user": user_name,
                    "products": [],
                    "unlicensed_products": [],
                    "servers": set(),
                    "last_used": last_used,
                }
            record = users[user_key]
            record["products"].append(product_name)
            if licensed is None:
                record["unlicensed_products"].append(product_name)
            record["last_used"] = max(record["last_used"], last_used)
        for user_key, origin in self._servers_of(list(users)):
            users[user_key]["servers"].add(origin)
        return [
            {**record, "servers": sorted(record["servers"]), "licensed": not record["unlicensed_products"]}
            for record in users.values()
        ]

    def _servers_of(self, user_keys: Sequence[str]) -> Iterable[tuple[str, str]]:
        for start in range(0, len(user_keys), _CHUNK):
            chunk = user_keys[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            yield from self.db.execute(
                "SELECT DISTINCT u.user_key, o.origin FROM ent_seat_uses u "
                f"JOIN ent_origins o ON o.origin_key = u.origin_key WHERE u.user_key IN ({marks})",
                chunk,
            )

    def server_products(self, server: str) -> list[dict[str, Any]]:
        """The products as one server reported them (compare with that server's own ``lls product list``
        and ``lls clients``): licenses, peak and its Per Seat users, deletions included."""
        origin_key = server.casefold()
        if not self.db.execute("SELECT 1 FROM ent_origins WHERE origin_key = ?", (origin_key,)):
            raise InvalidInput(f"{server} has not replicated to this master")
        users = {
            product_key: int(count)
            for product_key, count in self.db.execute(
                "SELECT product_key, COUNT(*) FROM ent_seat_uses WHERE origin_key = ? GROUP BY product_key",
                (origin_key,),
            )
        }
        return [
            {
                "product": name,
                "mode": mode,
                "per_server_licenses": int(srv),
                "per_seat_licenses": int(seat),
                "peak": int(peak),
                "seat_users": users.get(product_key, 0),
            }
            for product_key, name, mode, srv, seat, peak in self.db.execute(
                "SELECT product_key, name, mode, per_server_licenses, per_seat_licenses, peak "
                "FROM ent_products WHERE origin_key = ? AND removed IS NULL ORDER BY product_key",
                (origin_key,),
            )
        ]
