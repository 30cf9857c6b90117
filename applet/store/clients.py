"""Per Seat clients: usage rows per (user, product), recording usage in batches, deleting a client."""

from collections.abc import Sequence

from applet.domain.errors import InvalidInput
from applet.domain.events import EventId
from applet.domain.validation import clean_name
from applet.store.records import ClientSummary, SeatClientRecord, SeatUsage
from applet.store.repository import Repository
from applet.store.seats import rebalance_seats

_UPSERT = """
INSERT INTO seat_clients (product_id, user, group_id, first_used, last_used, usage_count, licensed)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (product_id, user) DO UPDATE SET
    last_used = MAX(last_used, excluded.last_used),
    usage_count = usage_count + excluded.usage_count
"""


class ClientRepository(Repository):
    """The ``seat_clients`` table."""

    def record_usage(self, updates: Sequence[SeatUsage]) -> None:
        """Record a batch of Per Seat uses in one transaction (first use inserts, later ones count)."""
        with self.db.transaction() as connection:
            connection.executemany(
                _UPSERT,
                [
                    (u.product_id, u.user, u.group_id, u.when, u.when, u.count, int(u.licensed))
                    for u in updates
                ],
            )

    def usage(
        self, product: str | None = None, user: str | None = None, limit: int | None = None
    ) -> list[SeatClientRecord]:
        """Usage rows, by user then product, optionally filtered."""
        sql = """
            SELECT c.user, p.name, g.name, c.first_used, c.last_used, c.usage_count, c.licensed
            FROM seat_clients c JOIN products p ON p.id = c.product_id
            LEFT JOIN license_groups g ON g.id = c.group_id
        """
        where: list[str] = []
        parameters: list[object] = []
        with self.db.errors():
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
