"""The purchase ledger in the store: add and remove licenses (append-only), history, entitlements."""

import sqlite3
from typing import Any, Literal

from applet.domain.errors import AgreementRequired, InvalidInput
from applet.domain.events import EventId
from applet.domain.ledger import Purchase, PurchaseLedger
from applet.domain.products import LicenseMode
from applet.domain.validation import clean_comment, parse_quantity
from applet.store.clients import like_pattern
from applet.store.database import utc_now
from applet.store.products import check_revision, load_product
from applet.store.records import PurchaseRecord
from applet.store.repository import Repository
from applet.store.seats import rebalance_seats

HistorySortKey = Literal["date", "product", "quantity", "administrator", "comment"]

# Ledger ids grow with time, so "date" orders by id (the primary key: no sort step at all).
_HISTORY_ORDER: dict[str, str] = {
    "date": "pu.id",
    "product": "p.name",
    "quantity": "pu.quantity",
    "administrator": "pu.administrator",
    "comment": "pu.comment",
}


class LedgerRepository(Repository):
    """The ``purchases`` table: never updated, only appended to."""

    def add(
        self,
        product: str,
        quantity: object,
        administrator: str,
        agreed: bool,
        comment: object = "",
        mode: LicenseMode | None = None,
        expected_revision: int | None = None,
    ) -> PurchaseRecord:
        """Record a purchase of ``quantity`` licenses (in the product's mode unless ``mode`` is given).

        Raises:
            AgreementRequired: the administrator did not agree to the license terms.
        """
        count = parse_quantity(quantity)
        text = clean_comment(comment)
        if not agreed:
            raise AgreementRequired("adding licenses needs agreement to the license terms (--agree)")
        return self._append(product, count, text, administrator, mode, expected_revision)

    def remove(
        self,
        product: str,
        quantity: object,
        administrator: str,
        comment: object = "",
        mode: LicenseMode | None = None,
        expected_revision: int | None = None,
    ) -> PurchaseRecord:
        """Record a removal of ``quantity`` licenses; never below zero."""
        count = parse_quantity(quantity)
        text = clean_comment(comment)
        return self._append(product, -count, text, administrator, mode, expected_revision)

    def _append(
        self,
        product: str,
        signed_quantity: int,
        comment: str,
        administrator: str,
        mode: LicenseMode | None,
        expected_revision: int | None,
    ) -> PurchaseRecord:
        with self.db.transaction() as connection:
            product_id = self.product_id(connection, product)
            record = load_product(connection, product_id)
            check_revision(record, expected_revision)
            use_mode = mode or record.mode
            ledger = self._ledger(connection, product_id, record.name)
            entry = Purchase(record.name, use_mode, signed_quantity, administrator, comment)
            ledger.append(entry)  # raises InsufficientLicenses for an uncovered removal
            purchase_id = write_line(
                connection, product_id, record.name, use_mode, signed_quantity, administrator, comment
            )
        return self.get(purchase_id)

    @staticmethod
    def _ledger(connection: sqlite3.Connection, product_id: int, name: str) -> PurchaseLedger:
        rows = connection.execute(
            "SELECT mode, SUM(quantity) FROM purchases WHERE product_id = ? GROUP BY mode", (product_id,)
        ).fetchall()
        # The sums per mode are all the rules need to check a removal.
        return PurchaseLedger(Purchase(name, LicenseMode(mode), int(total), "") for mode, total in rows)

    def get(self, purchase_id: int) -> PurchaseRecord:
        """One ledger line by id."""
        with self.db.errors():
            row = self.connection.execute(_HISTORY + " WHERE pu.id = ?", (purchase_id,)).fetchone()
        return _purchase(row)

    def history(self, product: str | None = None, limit: int | None = None) -> list[PurchaseRecord]:
        """Ledger lines, newest first, optionally of one product."""
        sql = _HISTORY
        parameters: list[object] = []
        with self.db.errors():
            if product is not None:
                sql += " WHERE pu.product_id = ?"
                parameters.append(self.product_id(self.connection, product))
            sql += " ORDER BY pu.id DESC"
            if limit is not None:
                sql += " LIMIT ?"
                parameters.append(limit)
            rows = self.connection.execute(sql, parameters).fetchall()
        return [_purchase(row) for row in rows]

    def _history_filter(self, text: str, product: str | None) -> tuple[str, list[object]]:
        where: list[str] = []
        parameters: list[object] = []
        if text.strip():
            pattern = like_pattern(text.strip())
            where.append(
                "(p.name LIKE ? ESCAPE '\\' OR pu.administrator LIKE ? ESCAPE '\\' "
                "OR pu.comment LIKE ? ESCAPE '\\')"
            )
            parameters += [pattern, pattern, pattern]
        if product is not None:
            where.append("pu.product_id = ?")
            parameters.append(self.product_id(self.connection, product))
        return (" WHERE " + " AND ".join(where)) if where else "", parameters

    def history_page(
        self,
        sort: HistorySortKey = "date",
        descending: bool = True,
        text: str = "",
        product: str | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> list[PurchaseRecord]:
        """One page of the Purchase History view, sorted and filtered in SQL.

        ``text`` matches part of the product name, administrator or comment (case-insensitive).
        """
        if sort not in _HISTORY_ORDER:
            raise InvalidInput(f"cannot sort the purchase history by {sort!r}")
        direction = "DESC" if descending else "ASC"
        order = _HISTORY_ORDER[sort]
        order_by = f"{order} {direction}" if sort == "date" else f"{order} {direction}, pu.id {direction}"
        with self.db.errors():
            where, parameters = self._history_filter(text, product)
            rows = self.connection.execute(
                f"{_HISTORY}{where} ORDER BY {order_by} LIMIT ? OFFSET ?",
                [*parameters, max(0, limit), max(0, offset)],
            ).fetchall()
        return [_purchase(row) for row in rows]

    def history_count(self, text: str = "", product: str | None = None) -> int:
        """How many ledger lines :meth:`history_page` would list with the same filter."""
        with self.db.errors():
            where, parameters = self._history_filter(text, product)
            row = self.connection.execute(
                f"SELECT COUNT(*) FROM purchases pu JOIN products p ON p.id = pu.product_id{where}",
                parameters,
            ).fetchone()
        return int(row[0])


def write_line(
    connection: sqlite3.Connection,
    product_id: int,
    product: str,
    mode: LicenseMode,
    signed_quantity: int,
    administrator: str,
    comment: str,
) -> int:
    """Append one checked ledger line with its audit row and event (inside the caller's transaction).

    The one place a purchase or removal is written: ``lls licenses``, ``lls product add --limit`` and
    the applet all record the same line, audit row and event 233/234. Returns the line's id.
    """
    cursor = connection.execute(
        "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (product_id, mode.value, signed_quantity, administrator, comment, utc_now()),
    )
    if mode is LicenseMode.PER_SEAT:
        rebalance_seats(connection, product_id)
    verb = "add licenses" if signed_quantity > 0 else "remove licenses"
    Repository.audit(connection, administrator, verb, product, f"{signed_quantity} {mode.value}")
    Repository.log_event(
        connection,
        EventId.LICENSES_ADDED if signed_quantity > 0 else EventId.LICENSES_REMOVED,
        [abs(signed_quantity), mode.label, product, administrator],
        product,
    )
    Repository.bump_configuration(connection, product_id)
    return int(cursor.lastrowid or 0)


_HISTORY = """
SELECT pu.id, p.name, pu.mode, pu.quantity, pu.administrator, pu.comment, pu.created
FROM purchases pu JOIN products p ON p.id = pu.product_id
"""


def _purchase(row: tuple[Any, ...]) -> PurchaseRecord:
    return PurchaseRecord(
        purchase_id=int(row[0]),
        product=str(row[1]),
        mode=LicenseMode(row[2]),
        quantity=int(row[3]),
        administrator=str(row[4]),
        comment=str(row[5]),
        created=str(row[6]),
    )
