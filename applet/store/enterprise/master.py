"""The master's side: enrolment, storing batches exactly once, the enterprise Per Seat pool, reports.

See the package docstring for the protocol. Every method opens its own transaction; an
:class:`EnterpriseStore` is one connection, used by one thread at a time.
"""

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from applet.domain.counting import PerSeatAllocator
from applet.domain.errors import InvalidInput
from applet.domain.replication import clean_server_name
from applet.store.database import utc_now
from applet.store.enterprise.batch import Batch
from applet.store.enterprise.dialect import Connection, connect
from applet.store.enterprise.schema import migrate

ENTERPRISE_FILE = "enterprise.sqlite3"
_CHUNK = 500


class ReplicationRefused(Exception):
    """A batch the master will not store; ``status`` is the HTTP status to answer with."""

    status = 409


class NotAuthorized(ReplicationRefused):
    """Not enrolled, revoked, or a wrong secret."""

    status = 401


@dataclass
class IngestResult:
    """What storing a batch did."""

    server: str
    seq: int
    acknowledged: int
    duplicate: bool = False
    rows: int = 0
    # Per product: users the pool could not license in this batch, and (users, purchased) when over.
    unlicensed: dict[str, list[str]] = field(default_factory=dict)
    over: dict[str, tuple[int, int]] = field(default_factory=dict)


def secret_digest(secret: str) -> str:
    """What the database keeps of a server's secret (the secret is 256 random bits: no salt needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def open_enterprise(location: str | Path | None, data_dir: Path, self_name: str) -> "EnterpriseStore":
    """Open (creating and migrating) the enterprise database: a PostgreSQL URL, or the SQLite default."""
    connection = connect(location or data_dir / ENTERPRISE_FILE)
    try:
        migrate(connection)
        return EnterpriseStore(connection, self_name)
    except BaseException:
        connection.close()
        raise


class EnterpriseStore:
    """The enterprise database of a master (see the package docstring)."""

    def __init__(self, connection: Connection, self_name: str) -> None:
        self.db = connection
        self.self_name = self_name
        self.self_key = self_name.casefold()
        self._ensure_self()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _ensure_self(self) -> None:
        # The master's own data arrives as batches from itself; it needs no secret (never over HTTP).
        self.db.execute(
            "INSERT INTO ent_servers (server_key, name, secret_sha256, is_self, enrolled) "
            "VALUES (?, ?, '', 1, ?) ON CONFLICT (server_key) DO NOTHING",
            (self.self_key, self.self_name, utc_now()),
        )

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
            self._store_rows(db, batch)
            self._allocate(db, batch, result)
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

    def _store_rows(self, db: Connection, batch: Batch) -> None:
        now = utc_now()
        products = batch.rows.get("products", [])
        if products:
            db.executemany(
                "INSERT INTO ent_products (origin_key, product_key, name, mode, per_server_licenses, "
                "per_seat_licenses, peak, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (origin_key, product_key) DO UPDATE SET name = excluded.name, "
                "mode = excluded.mode, per_server_licenses = excluded.per_server_licenses, "
                "per_seat_licenses = excluded.per_seat_licenses, peak = excluded.peak, "
                "updated = excluded.updated",
                [
                    (o.casefold(), n.casefold(), n, m, srv, seat, peak, now)
                    for o, n, m, srv, seat, peak in products
                ],
            )
        seat_uses = batch.rows.get("seat_uses", [])
        if seat_uses:
            # Keyed as the table is (a batch naming a user twice keeps the last), then merged in one
            # statement. The origin is authoritative for its own rows: a later batch replaces.
            staged = {
                (o.casefold(), p.casefold(), u.casefold()): (u, f, last, c)
                for o, p, u, f, last, c in seat_uses
            }
            db.stage([(*key, *values) for key, values in staged.items()])
            db.execute(
                "INSERT INTO ent_seat_uses (origin_key, product_key, user_key, user_name, first_used, "
                "last_used, usage_count) SELECT origin_key, product_key, user_key, user_name, first_used, "
                "last_used, usage_count FROM ent_stage WHERE true "
                "ON CONFLICT (origin_key, product_key, user_key) DO UPDATE SET "
                "first_used = excluded.first_used, last_used = excluded.last_used, "
                "usage_count = excluded.usage_count"
            )
        samples = batch.rows.get("samples", [])
        if samples:
            db.executemany(
                "INSERT INTO ent_samples (origin_key, product_key, minute, max_in_use, requests, denials) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin_key, product_key, minute) DO UPDATE SET "
                "max_in_use = excluded.max_in_use, requests = excluded.requests, denials = excluded.denials",
                [(o.casefold(), p.casefold(), m, x, r, d) for o, p, m, x, r, d in samples],
            )
        purchases = batch.rows.get("purchases", [])
        if purchases:
            db.executemany(
                "INSERT INTO ent_purchases (origin_key, origin_id, product_key, product, mode, quantity, "
                "administrator, comment, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (origin_key, origin_id) DO NOTHING",
                [(o.casefold(), i, p.casefold(), p, m, q, a, c, t) for o, i, p, m, q, a, c, t in purchases],
            )
        events = batch.rows.get("events", [])
        if events:
            db.executemany(
                "INSERT INTO ent_events (origin_key, origin_id, event_id, type, time, product, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin_key, origin_id) DO NOTHING",
                [(o.casefold(), *rest) for o, *rest in events],
            )

    # ------------------------------------------------------------------ the enterprise Per Seat pool

    def _allocate(self, db: Connection, batch: Batch, result: IngestResult) -> None:
        names: dict[str, str] = {}
        for _origin, product, *_rest in batch.rows.get("seat_uses", []):
            names.setdefault(product.casefold(), product)
        used = set(names)
        repriced = set()
        for _origin, _id, product, mode, *_rest in batch.rows.get("purchases", []):
            if mode == "per-seat":
                repriced.add(product.casefold())
                names.setdefault(product.casefold(), product)
        # Pool rows are locked in one order by every master instance, so two never deadlock; under
        # these locks no other instance can take the same users as new.
        pools: dict[str, list[int]] = {}
        for product_key in sorted(names):
            db.execute(
                "INSERT INTO ent_pools (product_key, product) VALUES (?, ?) "
                "ON CONFLICT (product_key) DO NOTHING",
                (product_key, names[product_key]),
            )
            row = db.execute(
                "SELECT purchased, allocated, users, next_arrival, next_order FROM ent_pools "
                f"WHERE product_key = ?{db.for_update}",
                (product_key,),
            )[0]
            pool = [int(value) for value in row]
            if product_key in repriced:
                pool[0], pool[1], pool[4] = self._reprice(db, product_key, pool[0], pool[1], pool[4])
            pools[product_key] = pool
        if used:
            # Per (product, user) of the batch: its first and last use (several origins may name one).
            staged: dict[tuple[str, str], tuple[str, str]] = {}
            for _origin, product, user, first, last, _count in batch.rows["seat_uses"]:
                key = (product.casefold(), user.casefold())
                seen = staged.get(key)
                staged[key] = (first, last) if seen is None else (min(seen[0], first), max(seen[1], last))
            self._new_users(db, pools, result, names, staged)
        for product_key, (purchased, allocated, users, arrival, order) in pools.items():
            db.execute(
                "UPDATE ent_pools SET purchased = ?, allocated = ?, users = ?, next_arrival = ?, "
                "next_order = ? WHERE product_key = ?",
                (purchased, allocated, users, arrival, order, product_key),
            )

    def _reprice(
        self, db: Connection, product_key: str, purchased: int, allocated: int, order: int
    ) -> tuple[int, int, int]:
        """A Per Seat purchase arrived: the pool's new size settled by the stable rule.

        Returns (purchased, allocated, next licensing order). A removal takes licenses from the most
        recently licensed first; an addition goes to the waiting users in order of first use.
        """
        total = db.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM ent_purchases "
            "WHERE product_key = ? AND mode = 'per-seat'",
            (product_key,),
        )[0][0]
        new_total = max(int(total), 0)
        if new_total == purchased:
            return purchased, allocated, order
        recorded = {
            user_key: licensed_order
            for user_key, licensed_order in db.execute(
                "SELECT user_key, licensed_order FROM ent_seats WHERE product_key = ? ORDER BY arrival",
                (product_key,),
            )
        }
        allocator = PerSeatAllocator.restore(new_total, recorded.items())
        changes = [
            (holder.licensed_order, product_key, holder.key)
            for holder in allocator.holders
            if holder.licensed_order != recorded[holder.key]
        ]
        if changes:
            db.executemany(
                "UPDATE ent_seats SET licensed_order = ? WHERE product_key = ? AND user_key = ?", changes
            )
        given = [holder.licensed_order for holder in allocator.holders if holder.licensed_order is not None]
        return new_total, allocator.allocated, max([order, *(number + 1 for number in given)])

    def _new_users(
        self,
        db: Connection,
        pools: dict[str, list[int]],
        result: IngestResult,
        names: dict[str, str],
        staged: dict[tuple[str, str], tuple[str, str]],
    ) -> None:
        """Users of the staged uses new to the enterprise: licensed while the pool has licenses free.

        The staged uses also move the first and last use of the users already known.
        """
        new: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        for product_key, user_key, user_name, first, last in db.execute(
            "SELECT s.product_key, s.user_key, MIN(s.user_name), MIN(s.first_used), MAX(s.last_used) "
            "FROM ent_stage s WHERE NOT EXISTS (SELECT 1 FROM ent_seats e "
            "WHERE e.product_key = s.product_key AND e.user_key = s.user_key) "
            "GROUP BY s.product_key, s.user_key"
        ):
            new[product_key].append((user_key, user_name, first, last))
        inserts = []
        for product_key, users in new.items():
            purchased, allocated, count, arrival, order = pools[product_key]
            # In the order of first use, as one server would have met them; the pool's free licenses
            # are what a fresh allocator of that size hands out (the rule: a new holder is licensed
            # when it fits in what is free).
            users.sort(key=lambda user: (user[2], user[0]))
            allocator = PerSeatAllocator(max(purchased - allocated, 0))
            unlicensed = []
            for offset, (user_key, user_name, first, last) in enumerate(users):
                decision = allocator.use(user_key)
                licensed_order = (
                    None if decision.licensed_order is None else order + decision.licensed_order - 1
                )
                if licensed_order is None:
                    unlicensed.append(user_name)
                inserts.append(
                    (product_key, user_key, user_name, arrival + offset, licensed_order, first, last)
                )
            pools[product_key] = [
                purchased,
                allocated + allocator.allocated,
                count + len(users),
                arrival + len(users),
                order + allocator.allocated,
            ]
            if unlicensed:
                result.unlicensed[names[product_key]] = unlicensed
                result.over[names[product_key]] = (count + len(users), purchased)
        if inserts:
            db.bulk_insert(
                "ent_seats",
                (
                    "product_key",
                    "user_key",
                    "user_name",
                    "arrival",
                    "licensed_order",
                    "first_used",
                    "last_used",
                ),
                inserts,
            )
        # Users already known: move their first and last use (keyed updates; a set-based UPDATE ... FROM
        # the staging table was planned as a scan of all of ent_seats, slower with every batch).
        added = {(row[0], row[1]) for row in inserts}
        moved = [
            (first, last, product_key, user_key, first, last)
            for (product_key, user_key), (first, last) in staged.items()
            if (product_key, user_key) not in added
        ]
        if moved:
            db.executemany(
                f"UPDATE ent_seats SET first_used = {db.least('first_used', '?')}, "
                f"last_used = {db.greatest('last_used', '?')} WHERE product_key = ? AND user_key = ? "
                "AND (? < first_used OR ? > last_used)",
                moved,
            )

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

        for key, name, purchased, allocated, users in self.db.execute(
            "SELECT product_key, product, purchased, allocated, users FROM ent_pools"
        ):
            entry(key, name)["per_seat"] = {
                "purchased": int(purchased),
                "allocated": int(allocated),
                "unlicensed": int(users) - int(allocated),
                "users": int(users),
            }
        for key, name, server, mode, licenses, peak in self.db.execute(
            "SELECT p.product_key, p.name, o.origin, p.mode, p.per_server_licenses, p.peak "
            "FROM ent_products p JOIN ent_origins o ON o.origin_key = p.origin_key ORDER BY o.origin_key"
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
        """The products as one server reported them (compare with that server's own ``lls product list``)."""
        return [
            {
                "product": name,
                "mode": mode,
                "per_server_licenses": int(srv),
                "per_seat_licenses": int(seat),
                "peak": int(peak),
            }
            for name, mode, srv, seat, peak in self.db.execute(
                "SELECT name, mode, per_server_licenses, per_seat_licenses, peak FROM ent_products "
                "WHERE origin_key = ? ORDER BY product_key",
                (server.casefold(),),
            )
        ]
