"""The purchase ledger in the store: add and remove licenses (append-only), certificates, history.

The rules (what is left on a certificate, which certificates a removal draws from) are the domain's
:class:`~applet.domain.ledger.PurchaseLedger`; this module loads a product's lines into it and writes the
lines it decides. Schema: ``purchases.kind`` and ``purchases.certificate_id`` (migration 3).
"""

import sqlite3
from collections.abc import Sequence
from typing import Any, Literal

from applet.domain.errors import AgreementRequired, InvalidInput
from applet.domain.events import EventId
from applet.domain.ledger import (
    CARRIED_FORWARD_COMMENT,
    LineKind,
    Purchase,
    PurchaseLedger,
    parse_certificate_id,
)
from applet.domain.products import LicenseMode
from applet.domain.validation import clean_comment, parse_quantity
from applet.store.clients import like_pattern
from applet.store.database import utc_now
from applet.store.products import check_revision, load_product
from applet.store.records import PurchaseRecord
from applet.store.repository import Repository
from applet.store.seats import rebalance_seats

HistorySortKey = Literal["date", "product", "quantity", "mode", "administrator", "comment"]

# Ledger ids grow with time, so "date" orders by id (the primary key: no sort step at all). Text
# sorts as License Manager shows it: case-insensitively; the stored mode values ("per-seat",
# "per-server") sort as their labels do.
_HISTORY_ORDER: dict[str, str] = {
    "date": "pu.id",
    "product": "p.name COLLATE NOCASE",
    "quantity": "pu.quantity",
    "mode": "pu.mode",
    "administrator": "pu.administrator COLLATE NOCASE",
    "comment": "pu.comment COLLATE NOCASE",
}


class LedgerRepository(Repository):
    """The ``purchases`` table: never updated, only appended to (a history reset aside)."""

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

        The purchase is a new certificate holding all its licenses.

        Raises:
            AgreementRequired: the administrator did not agree to the license terms.
        """
        count = parse_quantity(quantity)
        text = clean_comment(comment)
        if not agreed:
            raise AgreementRequired("adding licenses needs agreement to the license terms (--agree)")
        with self.db.transaction() as connection:
            product_id = self.product_id(connection, product)
            record = load_product(connection, product_id)
            check_revision(record, expected_revision)
            use_mode = mode or record.mode
            purchase_id = write_line(
                connection, product_id, record.name, use_mode, count, administrator, text
            )
        return self.get(purchase_id)

    def remove(
        self,
        product: str,
        quantity: object,
        administrator: str,
        comment: object = "",
        mode: LicenseMode | None = None,
        expected_revision: int | None = None,
        certificate: object = None,
    ) -> list[PurchaseRecord]:
        """Remove ``quantity`` licenses, drawing from certificates; returns the lines written.

        With ``certificate`` (a purchase id of this product): from that certificate alone, which must
        have that many left; its mode is the removal's mode. Without: from the newest certificate of the
        mode (the product's, unless ``mode`` is given) with licenses left, then older ones, recording one
        line per certificate drawn from (newest first), all in one transaction. Never below zero.

        Raises:
            InvalidInput: the certificate is unknown, of another product, a removal, or of another mode.
            InsufficientLicenses: fewer licenses are left (on the certificate, or on the product).
        """
        count = parse_quantity(quantity)
        text = clean_comment(comment)
        certificate_id = None if certificate in (None, "") else parse_certificate_id(certificate)
        with self.db.transaction() as connection:
            product_id = self.product_id(connection, product)
            record = load_product(connection, product_id)
            check_revision(record, expected_revision)
            use_mode = mode or record.mode
            if certificate_id is not None:
                certificate_mode = _certificate_mode(connection, certificate_id, product_id, record.name)
                use_mode = mode or certificate_mode
            ledger = load_ledger(connection, [product_id])[product_id]
            draws = ledger.plan_removal(use_mode, count, certificate_id)
            line_ids = [
                write_line(
                    connection, product_id, record.name, use_mode, -drawn, administrator, text, drawn_from
                )
                for drawn_from, drawn in draws
            ]
        return [self.get(line_id) for line_id in line_ids]

    def certificates(self, product: str, mode: LicenseMode) -> list[PurchaseRecord]:
        """The certificates of ``mode`` with licenses left (``remaining``), newest first."""
        with self.db.errors():
            product_id = self.product_id(self.connection, product)
            rows = self.connection.execute(
                _HISTORY + " WHERE pu.product_id = ? AND pu.mode = ? AND pu.quantity > 0 ORDER BY pu.id DESC",
                (product_id, mode.value),
            ).fetchall()
            lines = self._with_remaining(rows)
        return [line for line in lines if line.remaining]

    def get(self, purchase_id: int) -> PurchaseRecord:
        """One ledger line by id (with ``remaining`` for a certificate)."""
        with self.db.errors():
            row = self.connection.execute(_HISTORY + " WHERE pu.id = ?", (purchase_id,)).fetchone()
            (line,) = self._with_remaining([row])
        return line

    def _with_remaining(self, rows: list[tuple[Any, ...]]) -> list[PurchaseRecord]:
        """Records of ``rows`` (``_HISTORY`` columns), their certificates' ``remaining`` filled in."""
        product_ids = sorted({int(row[-1]) for row in rows if int(row[3]) > 0})
        left: dict[int, int] = {}
        for ledger in load_ledger(self.connection, product_ids).values():
            left.update((c.purchase_id, c.remaining) for c in ledger.certificates())
        return [_purchase(row, left.get(int(row[0]))) for row in rows]

    def history(self, product: str | None = None, limit: int | None = None) -> list[PurchaseRecord]:
        """Ledger lines, newest first, optionally of one product; certificates with their ``remaining``."""
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
            return self._with_remaining(rows)

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
        """One page of the Purchase History view, sorted and filtered in SQL (without ``remaining``).

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
        # Not `remaining`: that needs every line of the page's products (a page must stay cheap).
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
    certificate_id: int | None = None,
    kind: LineKind | None = None,
) -> int:
    """Append one ledger line with its audit row and event (inside the caller's transaction).

    The one place a purchase or removal is written: ``lls licenses``, ``lls product add --limit``, the
    applet and the Per Seat change all record the same line, audit row and event 233/234. The caller
    has checked the line (:class:`PurchaseLedger`). ``kind`` defaults from the sign. Returns the line's id.
    """
    line_kind = kind or (LineKind.PURCHASE if signed_quantity > 0 else LineKind.REMOVAL)
    cursor = connection.execute(
        "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created, certificate_id, "
        "kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            product_id,
            mode.value,
            signed_quantity,
            administrator,
            comment,
            utc_now(),
            certificate_id,
            line_kind.value,
        ),
    )
    if mode is LicenseMode.PER_SEAT:
        rebalance_seats(connection, product_id)
    verb = "add licenses" if signed_quantity > 0 else "remove licenses"
    detail = f"{signed_quantity} {mode.value}"
    if certificate_id is not None:
        detail += f" from certificate {certificate_id}"
    Repository.audit(connection, administrator, verb, product, detail)
    Repository.log_event(
        connection,
        EventId.LICENSES_ADDED if signed_quantity > 0 else EventId.LICENSES_REMOVED,
        [abs(signed_quantity), mode.label, product, administrator],
        product,
    )
    Repository.bump_configuration(connection, product_id)
    return int(cursor.lastrowid or 0)


def load_ledger(connection: sqlite3.Connection, product_ids: Sequence[int]) -> dict[int, PurchaseLedger]:
    """The ledgers of ``product_ids`` (each product's lines, oldest first)."""
    ledgers = {product_id: PurchaseLedger() for product_id in product_ids}
    if not ledgers:
        return ledgers
    lines: dict[int, list[Purchase]] = {product_id: [] for product_id in product_ids}
    marks = ", ".join("?" * len(lines))
    for line_id, product_id, mode, quantity, certificate_id, kind in connection.execute(
        "SELECT id, product_id, mode, quantity, certificate_id, kind FROM purchases "
        f"WHERE product_id IN ({marks}) ORDER BY id",
        list(lines),
    ):
        lines[product_id].append(
            Purchase(
                "", LicenseMode(mode), int(quantity), "", "", "", int(line_id), certificate_id, LineKind(kind)
            )
        )
    return {product_id: PurchaseLedger(entries) for product_id, entries in lines.items()}


def _certificate_mode(
    connection: sqlite3.Connection, certificate_id: int, product_id: int, product: str
) -> LicenseMode:
    """The mode of certificate ``certificate_id``, checked to be a certificate of ``product``."""
    row = connection.execute(
        "SELECT pu.product_id, p.name, pu.quantity, pu.mode FROM purchases pu "
        "JOIN products p ON p.id = pu.product_id WHERE pu.id = ?",
        (certificate_id,),
    ).fetchone()
    if row is None:
        raise InvalidInput(f"unknown certificate {certificate_id}")
    if int(row[0]) != product_id:
        raise InvalidInput(f"{certificate_id} is a certificate of product {row[1]!r}, not of {product!r}")
    if int(row[2]) < 0:
        raise InvalidInput(f"line {certificate_id} of the purchase history is a removal, not a certificate")
    return LicenseMode(row[3])


def carry_forward_balances(connection: sqlite3.Connection, administrator: str) -> bool:
    """Replace each product's lines of each mode by one balance carried forward (the history reset).

    The balance is a certificate holding the mode's total (what was left on its certificates), so every
    limit and total stays the same; a mode with nothing left gets no line. Returns False, writing
    nothing, when there is nothing to reset: no line other than balances carried forward.
    """
    if (
        connection.execute(
            "SELECT 1 FROM purchases WHERE kind <> ? LIMIT 1", (LineKind.CARRIED_FORWARD.value,)
        ).fetchone()
        is None
    ):
        return False
    balances = connection.execute(
        "SELECT product_id, mode, SUM(quantity) FROM purchases GROUP BY product_id, mode "
        "HAVING SUM(quantity) <> 0 ORDER BY product_id, mode"
    ).fetchall()
    # The one sanctioned exception to the append-only ledger: the administrator's reset. One statement,
    # so removals and the certificates they name go together.
    connection.execute("DELETE FROM purchases")
    now = utc_now()
    connection.executemany(
        "INSERT INTO purchases (product_id, mode, quantity, administrator, comment, created, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                product_id,
                mode,
                total,
                administrator,
                CARRIED_FORWARD_COMMENT,
                now,
                LineKind.CARRIED_FORWARD.value,
            )
            for product_id, mode, total in balances
        ],
    )
    return True


# The product id comes last: records do not show it, remaining needs it.
_HISTORY = """
SELECT pu.id, p.name, pu.mode, pu.quantity, pu.administrator, pu.comment, pu.created, pu.kind,
       pu.certificate_id, pu.product_id
FROM purchases pu JOIN products p ON p.id = pu.product_id
"""


def _purchase(row: tuple[Any, ...], remaining: int | None = None) -> PurchaseRecord:
    return PurchaseRecord(
        purchase_id=int(row[0]),
        product=str(row[1]),
        mode=LicenseMode(row[2]),
        quantity=int(row[3]),
        administrator=str(row[4]),
        comment=str(row[5]),
        created=str(row[6]),
        kind=LineKind(row[7]),
        certificate=None if row[8] is None else int(row[8]),
        remaining=remaining,
    )
