"""Registered products: add, remove, show, the one-way mode flip, observation settings, peaks."""

import sqlite3
from collections.abc import Mapping
from typing import Any

from applet.domain.errors import AgreementRequired, InvalidInput, LicensingError
from applet.domain.events import EventId
from applet.domain.products import LicenseMode, Product
from applet.domain.validation import clean_comment, clean_name, clean_optional_text, parse_quantity
from applet.store.database import utc_now
from applet.store.product_record import ProductRecord  # not records: the one dataclass a list needs
from applet.store.repository import Repository

_SELECT = """
SELECT p.id, p.name, p.family, p.version, p.mode, p.flip_allowed, p.builtin, p.peak_in_use,
       p.observe_tcp_port, p.observe_sessions, p.revision, p.created,
       COALESCE((SELECT SUM(quantity) FROM purchases WHERE product_id = p.id AND mode = 'per-server'), 0),
       COALESCE((SELECT SUM(quantity) FROM purchases WHERE product_id = p.id AND mode = 'per-seat'), 0)
FROM products p
"""


def load_product(connection: sqlite3.Connection, product_id: int) -> ProductRecord:
    """One product by id with its ledger sums (inside any transaction)."""
    return _record(connection.execute(_SELECT + " WHERE p.id = ?", (product_id,)).fetchone())


def _record(row: tuple[Any, ...]) -> ProductRecord:
    return ProductRecord(
        product_id=int(row[0]),
        name=str(row[1]),
        family=str(row[2]),
        version=str(row[3]),
        mode=LicenseMode(row[4]),
        flip_allowed=bool(row[5]),
        builtin=bool(row[6]),
        peak_in_use=int(row[7]),
        observe_tcp_port=None if row[8] is None else int(row[8]),
        observe_sessions=bool(row[9]),
        revision=int(row[10]),
        created=str(row[11]),
        per_server_licenses=int(row[12]),
        per_seat_licenses=int(row[13]),
    )


class ProductRepository(Repository):
    """The ``products`` table."""

    def list(self) -> list[ProductRecord]:
        """Active products, by name."""
        with self.db.errors():
            rows = self.connection.execute(_SELECT + " WHERE p.removed IS NULL ORDER BY p.name").fetchall()
        return [_record(row) for row in rows]

    def get(self, name: str) -> ProductRecord:
        """One active product by name (case-insensitive), or :class:`UnknownProduct`."""
        with self.db.errors():
            return load_product(self.connection, self.product_id(self.connection, name))

    def add(
        self,
        name: str,
        administrator: str,
        family: str = "",
        version: str = "",
        mode: LicenseMode = LicenseMode.PER_SERVER,
        limit: int = 0,
        comment: str = "initial licenses at registration",
        agreed: bool = False,
    ) -> ProductRecord:
        """Register a product, optionally with ``limit`` initial licenses in its mode.

        The initial licenses are a purchase like any other: they need ``agreed`` (the administrator
        agreed to the license terms) and are recorded as the same ledger line, audit row and event as
        :meth:`LedgerRepository.add`. A product removed earlier comes back with its history and its mode
        (a flip stays one-way).

        Raises:
            AgreementRequired: ``limit`` licenses without agreement; nothing is written.
        """
        from applet.store.ledger import write_line  # ledger imports this module

        name = clean_name(name)
        family = clean_optional_text(family, "family")
        version = clean_optional_text(version, "version")
        if limit:
            limit = parse_quantity(limit, "limit")
            if not agreed:
                raise AgreementRequired(
                    "registering a product with licenses needs agreement to the license terms (--agree)"
                )
        with self.db.transaction() as connection:
            existing = connection.execute(
                "SELECT id, removed, mode FROM products WHERE name = ?", (name,)
            ).fetchone()
            if existing is not None and existing[1] is None:
                raise InvalidInput(f"product {name!r} is already registered")
            if existing is not None:
                product_id = int(existing[0])
                if LicenseMode(existing[2]) is LicenseMode.PER_SEAT and mode is LicenseMode.PER_SERVER:
                    mode = LicenseMode.PER_SEAT  # the one-way flip survives removal and re-adding
                connection.execute(
                    "UPDATE products SET removed = NULL, family = ?, version = ? WHERE id = ?",
                    (family, version, product_id),
                )
            else:
                cursor = connection.execute(
                    "INSERT INTO products (name, family, version, mode, flip_allowed, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, family, version, mode.value, int(mode is LicenseMode.PER_SERVER), utc_now()),
                )
                product_id = int(cursor.lastrowid or 0)
            self.audit(connection, administrator, "product add", name, f"mode={mode.value} limit={limit}")
            self.log_event(connection, EventId.PRODUCT_REGISTERED, [name, administrator], name)
            self.bump_configuration(connection, product_id)
            if limit:
                write_line(connection, product_id, name, mode, limit, administrator, clean_comment(comment))
        return self.get(name)

    def remove(self, name: str, administrator: str) -> None:
        """Unregister a product; its purchase history and usage stay for the record."""
        with self.db.transaction() as connection:
            product_id = self.product_id(connection, name)
            canonical, builtin = connection.execute(
                "SELECT name, builtin FROM products WHERE id = ?", (product_id,)
            ).fetchone()
            if builtin:
                raise LicensingError(f"the built-in product {canonical!r} cannot be removed")
            connection.execute("UPDATE products SET removed = ? WHERE id = ?", (utc_now(), product_id))
            self.audit(connection, administrator, "product remove", canonical, "")
            self.log_event(connection, EventId.PRODUCT_REMOVED, [canonical, administrator], canonical)
            self.bump_configuration(connection, product_id)

    def change_mode(
        self,
        name: str,
        target: LicenseMode,
        agreed: bool,
        administrator: str,
        expected_revision: int | None = None,
    ) -> ProductRecord:
        """Apply the one-way Per Server -> Per Seat flip (domain rules decide).

        The Per Server licenses are lost with the change, as the applet warns: one appended ledger line
        (kind ``mode-change``, event 234) gives them all up, so Per Server purchased reads 0.
        """
        with self.db.transaction() as connection:
            record = self._get_locked(connection, name, expected_revision)
            product = Product(record.name, record.mode, flip_allowed=record.flip_allowed)
            changed = product.change_mode(target, agreed)
            if changed is not product:
                if changed.mode is LicenseMode.PER_SEAT and record.per_server_licenses > 0:
                    self._give_up_per_server(connection, record, administrator)
                connection.execute(
                    "UPDATE products SET mode = ?, flip_allowed = ? WHERE id = ?",
                    (changed.mode.value, int(changed.flip_allowed), record.product_id),
                )
                self.audit(connection, administrator, "mode", record.name, f"to {changed.mode.value}")
                self.log_event(
                    connection,
                    EventId.MODE_CHANGED,
                    [record.name, changed.mode.label, administrator],
                    record.name,
                )
                self.bump_configuration(connection, record.product_id)
        return self.get(name)

    @staticmethod
    def _give_up_per_server(
        connection: sqlite3.Connection, record: ProductRecord, administrator: str
    ) -> None:
        """The change to Per Seat loses the Per Server licenses: one ledger line says so."""
        # Here, not at the top: the ledger imports this module, and the product list (the Licensing
        # applet's first read) needs neither.
        from applet.domain.ledger import GIVE_UP_COMMENT, LineKind
        from applet.store.ledger import write_line

        write_line(
            connection,
            record.product_id,
            record.name,
            LicenseMode.PER_SERVER,
            -record.per_server_licenses,
            administrator,
            GIVE_UP_COMMENT,
            kind=LineKind.MODE_CHANGE,
        )

    def _get_locked(
        self, connection: sqlite3.Connection, name: str, expected_revision: int | None
    ) -> ProductRecord:
        record = load_product(connection, self.product_id(connection, name))
        check_revision(record, expected_revision)
        return record

    def set_observation(
        self, name: str, administrator: str, tcp_port: int | None = None, sessions: bool | None = None
    ) -> ProductRecord:
        """Choose what the service observes by itself for this product (a TCP port, user sessions)."""
        if tcp_port is not None and not 0 <= tcp_port <= 65535:
            raise InvalidInput(f"TCP port must be between 1 and 65535, not {tcp_port}")
        with self.db.transaction() as connection:
            product_id = self.product_id(connection, name)
            if tcp_port is not None:
                # 0 clears the port observation.
                connection.execute(
                    "UPDATE products SET observe_tcp_port = ? WHERE id = ?", (tcp_port or None, product_id)
                )
            if sessions is not None:
                connection.execute(
                    "UPDATE products SET observe_sessions = ? WHERE id = ?", (int(sessions), product_id)
                )
            self.audit(connection, administrator, "observe", name, f"tcp_port={tcp_port} sessions={sessions}")
            self.bump_configuration(connection, product_id)
        return self.get(name)

    def record_peaks(self, peaks: Mapping[int, int], usage_generation: int | None = None) -> None:
        """Raise each product's highest concurrent count reached (never lowers it).

        Peaks counted before a usage reset (``usage_generation`` older than the store's) are dropped:
        the service counts the peak again from the clients connected when it learns of the reset.
        """
        with self.db.transaction() as connection:
            if usage_generation is not None and usage_generation != self._usage_generation(connection):
                return
            connection.executemany(
                "UPDATE products SET peak_in_use = MAX(peak_in_use, ?) WHERE id = ?",
                [(peak, product_id) for product_id, peak in peaks.items()],
            )

    def usage_generation(self) -> int:
        """How many usage resets the store has seen (the service tags the peaks it writes with it)."""
        with self.db.errors():
            return self._usage_generation(self.connection)

    @staticmethod
    def _usage_generation(connection: sqlite3.Connection) -> int:
        row = connection.execute("SELECT value FROM settings WHERE key = 'usage_generation'").fetchone()
        return 0 if row is None else int(row[0])

    @staticmethod
    def reset_peaks(connection: sqlite3.Connection) -> None:
        """A usage reset: every peak back to zero, and a new usage generation (see :meth:`record_peaks`)."""
        connection.execute("UPDATE products SET peak_in_use = 0")
        connection.execute(
            "INSERT INTO settings (key, value) VALUES ('usage_generation', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )


class ConcurrentChange(LicensingError):
    """What the caller read changed in the store since (another window, the CLI, another administrator):
    a product, or the replication settings."""


def check_revision(record: ProductRecord, expected_revision: int | None) -> None:
    """Raise :class:`ConcurrentChange` if ``record`` is not at ``expected_revision``."""
    if expected_revision is not None and record.revision != expected_revision:
        raise ConcurrentChange(
            f"product {record.name!r} was changed by someone else since it was opened; "
            "the current settings were reloaded"
        )
