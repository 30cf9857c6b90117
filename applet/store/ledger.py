"""The purchase ledger in the store: add and remove licenses (append-only), history, entitlements."""

import sqlite3
from typing import Any

from applet.domain.errors import AgreementRequired
from applet.domain.events import EventId
from applet.domain.ledger import Purchase, PurchaseLedger
from applet.domain.products import LicenseMode
from applet.domain.validation import clean_comment, parse_quantity
from applet.store.database import utc_now
from applet.store.products import check_revision, load_product
from applet.store.records import PurchaseRecord
from applet.store.repository import Repository
from applet.store.seats import rebalance_seats


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
            cursor = connection.execute(
                "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (product_id, use_mode.value, signed_quantity, administrator, comment, utc_now()),
            )
            purchase_id = int(cursor.lastrowid or 0)
            if use_mode is LicenseMode.PER_SEAT:
                rebalance_seats(connection, product_id)
            verb = "add licenses" if signed_quantity > 0 else "remove licenses"
            self.audit(connection, administrator, verb, record.name, f"{signed_quantity} {use_mode.value}")
            self.log_event(
                connection,
                EventId.LICENSES_ADDED if signed_quantity > 0 else EventId.LICENSES_REMOVED,
                [abs(signed_quantity), use_mode.label, record.name, administrator],
                record.name,
            )
            self.bump_configuration(connection, product_id)
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
