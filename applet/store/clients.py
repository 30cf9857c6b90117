"""Per Seat clients: usage rows per (user, product), recording usage in batches, deleting a client."""

from collections.abc import Sequence
from typing import Literal

from applet.domain.errors import InvalidInput
from applet.domain.events import EventId
from applet.domain.validation import clean_name
from applet.store.records import ClientSummary, SeatClientRecord, SeatUsage
from applet.store.repository import Repository
from applet.store.seats import rebalance_seats, settle_if_over

ClientSortKey = Literal["user", "licensed", "unlicensed", "products", "last_used"]

# The per-user aggregate each sort key orders by (the user breaks ties, so pages are stable).
_CLIENT_ORDER: dict[str, str] = {
    "user": "c.user",
    "licensed": "SUM(c.usage_count * (c.licensed <> 0))",
    "unlicensed": "SUM(c.usage_count * (c.licensed = 0))",
    # The list shown ("Files, Mail"): the user's product names in name order, joined as the page
    # joins them. The innermost ORDER BY fixes the order GROUP_CONCAT sees (an aggregate over an
    # ordered subquery is never flattened; a GROUP BY over the join would re-sort the rows).
    "products": (
        "(SELECT GROUP_CONCAT(name, ', ') FROM (SELECT p.name AS name FROM seat_clients s "
        "JOIN products p ON p.id = s.product_id WHERE s.user = c.user ORDER BY p.name)) COLLATE NOCASE"
    ),
    "last_used": "MAX(c.last_used)",
}

# Sorting by the products list, the fast way. The list above is built per user by a subquery with a
# sort of its own: 1.8-2.1 s over a million rows, four times the other aggregates. Instead, one pass
# over the user index gives each user the set of its products as a bit mask (bit = product id; a
# (product, user) pair is unique, so the SUM is the set); the few distinct masks are labelled with the
# list they stand for, built exactly as above; the users are sorted by their mask's label. Same order,
# about the cost of sorting by licensed usage. Bit 63 is the sign: a store whose product ids go past
# MASK_BITS - 1 takes the subquery.
MASK_BITS = 63
_PRODUCTS_BY_MASK = """
    WITH u AS MATERIALIZED (
        SELECT c.user AS user, SUM(1 << c.product_id) AS mask FROM seat_clients c{where} GROUP BY c.user
    ),
    labels AS MATERIALIZED (
        SELECT m.mask AS mask,
               (SELECT GROUP_CONCAT(name, ', ') FROM (
                    SELECT p.name AS name FROM products p
                    WHERE p.id < {bits} AND m.mask & (1 << p.id) ORDER BY p.name)) AS label
        FROM (SELECT DISTINCT mask FROM u) m
    )
    SELECT u.user FROM u CROSS JOIN labels l ON l.mask = u.mask
    ORDER BY l.label COLLATE NOCASE {direction}, u.user {direction} LIMIT ? OFFSET ?
"""

_SUMMARY_COLUMNS = """
    SELECT c.user,
           SUM(CASE WHEN c.licensed THEN c.usage_count ELSE 0 END),
           SUM(CASE WHEN c.licensed THEN 0 ELSE c.usage_count END),
           COUNT(*),
           MAX(c.last_used)
    FROM seat_clients c
"""


# The columns of a usage row, as SeatClientRecord takes them; and the same as the JSON object of its
# as_dict() (same keys, same order), for pages SQLite encodes itself.
_USAGE_COLUMNS = "c.user, p.name, g.name, c.first_used, c.last_used, c.usage_count, c.licensed"
_USAGE_JSON = """json_object('user', c.user, 'product', p.name, 'group', g.name, 'first_used', c.first_used,
    'last_used', c.last_used, 'usage_count', c.usage_count,
    'licensed', CASE WHEN c.licensed THEN json('true') ELSE json('false') END)"""


def like_pattern(text: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``text`` anywhere (``%`` and ``_`` taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_UPSERT = """
INSERT INTO seat_clients (product_id, user, group_id, first_used, last_used, usage_count, licensed,
                          licensed_order)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (product_id, user) DO UPDATE SET
    last_used = MAX(last_used, excluded.last_used),
    usage_count = usage_count + excluded.usage_count
"""


class ClientRepository(Repository):
    """The ``seat_clients`` table."""

    def record_usage(self, updates: Sequence[SeatUsage]) -> None:
        """Record a batch of Per Seat uses in one transaction (first use inserts, later ones count).

        A later use never changes who is licensed: that is the allocation rule's (``rebalance_seats``).
        When the batch licenses someone new while an administrator's change made the licenses fewer
        than the service knew, the product is settled here and the service told to reload it.
        """
        with self.db.transaction() as connection:
            newest: dict[int, int] = {}
            for product_id in {u.product_id for u in updates if u.licensed}:
                newest[product_id] = int(
                    connection.execute(
                        "SELECT COALESCE(MAX(licensed_order), 0) FROM seat_clients WHERE product_id = ?",
                        (product_id,),
                    ).fetchone()[0]
                )
            newly_licensed: set[int] = set()
            rows = []
            for u in updates:
                order = u.licensed_order
                if u.licensed and order is None:  # ranked after everyone licensed so far
                    newest[u.product_id] += 1
                    order = newest[u.product_id]
                elif order is not None and order >= newest[u.product_id]:
                    newly_licensed.add(u.product_id)  # the service licensed someone new: check it fits
                rows.append(
                    (u.product_id, u.user, u.group_id, u.when, u.when, u.count, int(u.licensed), order)
                )
            connection.executemany(_UPSERT, rows)
            for product_id in sorted(newly_licensed):
                if settle_if_over(connection, product_id):
                    self.bump_configuration(connection, product_id)

    def seat_counts(self) -> dict[int, int]:
        """Per Seat usage rows per product id (a covering index scan)."""
        with self.db.errors():
            rows = self.connection.execute(
                "SELECT product_id, COUNT(*) FROM seat_clients GROUP BY product_id"
            ).fetchall()
        return {int(product_id): int(count) for product_id, count in rows}

    def seat_users(self, product_ids: Sequence[int]) -> dict[int, list[tuple[str, int | None]]]:
        """Per Seat users of each product in order of first use, each with its holder's licensing order
        (None while waiting): what the service restores its allocation from."""
        users: dict[int, list[tuple[str, int | None]]] = {product_id: [] for product_id in product_ids}
        if not users:
            return users
        marks = ", ".join("?" for _ in users)
        with self.db.errors():
            rows = self.connection.execute(
                f"SELECT product_id, user, licensed_order FROM seat_clients WHERE product_id IN ({marks}) "
                "ORDER BY id",
                list(users),
            ).fetchall()
        for product_id, user, order in rows:
            users[int(product_id)].append((str(user), None if order is None else int(order)))
        return users

    def usage(
        self, product: str | None = None, user: str | None = None, limit: int | None = None
    ) -> list[SeatClientRecord]:
        """Usage rows, by user then product, optionally filtered."""
        with self.db.errors():
            sql, parameters = self._usage_query(_USAGE_COLUMNS, product, user, limit)
            rows = self.connection.execute(sql, parameters).fetchall()
        return [
            SeatClientRecord(
                user=row[0],
                product=row[1],
                group=row[2],
                first_used=row[3],
                last_used=row[4],
                usage_count=int(row[5]),
                licensed=bool(row[6]),
            )
            for row in rows
        ]

    def usage_json(
        self, product: str | None = None, user: str | None = None, limit: int | None = None
    ) -> bytes:
        """The rows of :meth:`usage` as the JSON array of their ``as_dict()``, built by SQLite.

        The service answers ``GET /v1/clients`` with it: SQLite builds each row's object without
        holding Python's GIL, where making records and encoding them held it for ~0.1 s per
        10,000-row page and so delayed license requests under a flood of large reads.
        """
        with self.db.errors():
            sql, parameters = self._usage_query(_USAGE_JSON, product, user, limit)
            objects = [row[0] for row in self.connection.execute(sql, parameters).fetchall()]
        return ("[" + ",".join(objects) + "]").encode()

    def _usage_query(
        self, columns: str, product: str | None, user: str | None, limit: int | None
    ) -> tuple[str, list[object]]:
        sql = f"""
            SELECT {columns}
            FROM seat_clients c JOIN products p ON p.id = c.product_id
            LEFT JOIN license_groups g ON g.id = c.group_id
        """
        where: list[str] = []
        parameters: list[object] = []
        if product is not None:
            where.append("c.product_id = ?")
            parameters.append(self.product_id(self.connection, product))
        if user is not None:
            where.append("c.user = ?")
            parameters.append(user)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.user, p.name"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        return sql, parameters

    def summaries(self, product: str | None = None) -> list[ClientSummary]:
        """One row per user: licensed and unlicensed usage, products used, last use."""
        sql = """
            SELECT c.user,
                   SUM(CASE WHEN c.licensed THEN c.usage_count ELSE 0 END),
                   SUM(CASE WHEN c.licensed THEN 0 ELSE c.usage_count END),
                   GROUP_CONCAT(p.name, ', '),
                   MAX(c.last_used)
            FROM seat_clients c JOIN products p ON p.id = c.product_id
        """
        parameters: list[object] = []
        with self.db.errors():
            if product is not None:
                sql += " WHERE c.user IN (SELECT user FROM seat_clients WHERE product_id = ?)"
                parameters.append(self.product_id(self.connection, product))
            sql += " GROUP BY c.user ORDER BY c.user"
            rows = self.connection.execute(sql, parameters).fetchall()
        return [ClientSummary(row[0], int(row[1]), int(row[2]), row[3], row[4]) for row in rows]

    def delete(self, user: object, administrator: str) -> int:
        """Delete a client on every product, freeing its licenses. Returns the rows deleted."""
        name = clean_name(user, "user name")
        with self.db.transaction() as connection:
            products = [
                int(row[0])
                for row in connection.execute("SELECT product_id FROM seat_clients WHERE user = ?", (name,))
            ]
            if not products:
                raise InvalidInput(f"unknown client: {name!r}")
            connection.execute("DELETE FROM seat_clients WHERE user = ?", (name,))
            for product_id in products:
                rebalance_seats(connection, product_id)
            self.audit(connection, administrator, "client delete", None, name)
            self.log_event(connection, EventId.CLIENT_DELETED, [name, administrator], None)
            self.bump_configuration(connection)
        return len(products)

    def _summary_filter(self, text: str, product: str | None) -> tuple[str, list[object]]:
        where: list[str] = []
        parameters: list[object] = []
        if text.strip():
            where.append("c.user LIKE ? ESCAPE '\\'")
            parameters.append(like_pattern(text.strip()))
        if product is not None:
            where.append("c.user IN (SELECT user FROM seat_clients WHERE product_id = ?)")
            parameters.append(self.product_id(self.connection, product))
        return (" WHERE " + " AND ".join(where)) if where else "", parameters

    def summary_page(
        self,
        sort: ClientSortKey = "user",
        descending: bool = False,
        text: str = "",
        product: str | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> list[ClientSummary]:
        """One page of the Clients (Per Seat) view, sorted and filtered in SQL.

        ``text`` matches part of the user name (case-insensitive); ``product`` keeps the users who
        used that product. ``products`` sorts by the list of products shown. Sorting by user walks
        the user index (a page costs the same at any size); the other keys aggregate every row.
        """
        if sort not in _CLIENT_ORDER:
            raise InvalidInput(f"cannot sort clients by {sort!r}")
        direction = "DESC" if descending else "ASC"
        paging = [max(0, limit), max(0, offset)]
        with self.db.errors():
            where, parameters = self._summary_filter(text, product)
            if sort == "user":
                rows = self.connection.execute(
                    f"{_SUMMARY_COLUMNS}{where} GROUP BY c.user ORDER BY c.user {direction} LIMIT ? OFFSET ?",
                    [*parameters, *paging],
                ).fetchall()
            else:
                # Two steps: order the users by the one aggregate the sort needs (the costly pass over
                # every row), then read the whole summary of the page's users only.
                if sort == "products" and self._product_ids_fit_a_mask():
                    sql = _PRODUCTS_BY_MASK.format(where=where, bits=MASK_BITS, direction=direction)
                else:
                    sql = (
                        f"SELECT c.user FROM seat_clients c{where} GROUP BY c.user "
                        f"ORDER BY {_CLIENT_ORDER[sort]} {direction}, c.user {direction} LIMIT ? OFFSET ?"
                    )
                users = [str(row[0]) for row in self.connection.execute(sql, [*parameters, *paging])]
                by_user: dict[str, tuple[object, ...]] = {}
                for first in range(0, len(users), 500):
                    chunk = users[first : first + 500]
                    marks = ", ".join("?" for _ in chunk)
                    for row in self.connection.execute(
                        f"{_SUMMARY_COLUMNS} WHERE c.user IN ({marks}) GROUP BY c.user", chunk
                    ):
                        by_user[str(row[0]).casefold()] = row
                rows = [by_user[user.casefold()] for user in users if user.casefold() in by_user]
            names = self._product_names([str(row[0]) for row in rows])
        return [
            ClientSummary(
                row[0], int(row[1]), int(row[2]), ", ".join(names.get(row[0].casefold(), [])), row[4]
            )
            for row in rows
        ]

    def _product_ids_fit_a_mask(self) -> bool:
        """Whether every product id is a bit of a 64-bit mask below the sign (see ``MASK_BITS``)."""
        row = self.connection.execute("SELECT MAX(id) FROM products").fetchone()
        return row[0] is None or int(row[0]) < MASK_BITS

    def _product_names(self, users: list[str]) -> dict[str, list[str]]:
        """Product names used by each of ``users`` (keyed by the case-folded user name)."""
        names: dict[str, list[str]] = {}
        # SQLite allows 32766 parameters; pages are far smaller, but stay safe with chunks.
        for start in range(0, len(users), 500):
            chunk = users[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for user, name in self.connection.execute(
                f"SELECT c.user, p.name FROM seat_clients c JOIN products p ON p.id = c.product_id "
                f"WHERE c.user IN ({marks}) ORDER BY p.name",
                chunk,
            ):
                names.setdefault(str(user).casefold(), []).append(str(name))
        return names

    def summary_count(self, text: str = "", product: str | None = None) -> int:
        """How many users :meth:`summary_page` would list with the same filter."""
        with self.db.errors():
            where, parameters = self._summary_filter(text, product)
            row = self.connection.execute(
                f"SELECT COUNT(DISTINCT c.user) FROM seat_clients c{where}", parameters
            ).fetchone()
        return int(row[0])

    def revoke(self, user: object, product: str, administrator: str) -> None:
        """Take one product's license away from a client (its other products stay), freeing it."""
        name = clean_name(user, "user name")
        with self.db.transaction() as connection:
            product_id = self.product_id(connection, product)
            deleted = connection.execute(
                "DELETE FROM seat_clients WHERE user = ? AND product_id = ?", (name, product_id)
            ).rowcount
            if not deleted:
                raise InvalidInput(f"client {name!r} has not used product {product!r}")
            rebalance_seats(connection, product_id)
            self.audit(connection, administrator, "client revoke", product, name)
            self.log_event(
                connection, EventId.CLIENT_DELETED, [f"{name} ({product})", administrator], product
            )
            self.bump_configuration(connection)
