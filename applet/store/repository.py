"""The base every repository shares: the database, product lookup, audit, events, change counters."""

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from applet.domain.errors import UnknownProduct
from applet.domain.events import CATALOGUE, EVENT_SOURCE, EventId, render
from applet.store.database import Database, utc_now

if TYPE_CHECKING:
    # Loaded by the first write that logs an event, not by every reader (the Licensing applet's first
    # read of the products, tests/benchmarks/test_bench_applet.py).
    from applet.store.records import EventRecord


class Repository:
    """A family of tables behind one object; writes go through ``self.db.transaction()``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def connection(self) -> sqlite3.Connection:
        """The store's connection (autocommit; use ``db.transaction()`` for writes)."""
        return self.db.connection

    def product_id(self, connection: sqlite3.Connection, name: str) -> int:
        """The id of an active product, or :class:`UnknownProduct`."""
        row = connection.execute(
            "SELECT id FROM products WHERE name = ? AND removed IS NULL", (name.strip(),)
        ).fetchone()
        if row is None:
            raise UnknownProduct(name)
        return int(row[0])

    @staticmethod
    def audit(
        connection: sqlite3.Connection, administrator: str, action: str, product: str | None, detail: str
    ) -> None:
        """Record who changed what (inside the caller's transaction)."""
        connection.execute(
            "INSERT INTO audit (time, administrator, action, product, detail) VALUES (?, ?, ?, ?, ?)",
            (utc_now(), administrator, action, product, detail),
        )

    @staticmethod
    def log_event(
        connection: sqlite3.Connection,
        event_id: EventId,
        parameters: Sequence[object],
        product: str | None,
        when: str = "",
    ) -> "EventRecord":
        """Append a catalogue event (inside the caller's transaction); the one place events are inserted."""
        import json

        from applet.store.records import EventRecord

        definition = CATALOGUE[event_id]
        texts = tuple(str(p) for p in parameters)
        time = when or utc_now()
        message = render(event_id, texts)
        cursor = connection.execute(
            "INSERT INTO events (event_id, type, source, time, product, message, parameters) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                int(event_id),
                definition.event_type.value,
                EVENT_SOURCE,
                time,
                product,
                message,
                json.dumps(texts),
            ),
        )
        return EventRecord(
            int(cursor.lastrowid or 0),
            int(event_id),
            definition.event_type.value,
            EVENT_SOURCE,
            time,
            product,
            message,
            texts,
        )

    @staticmethod
    def bump_configuration(connection: sqlite3.Connection, product_id: int | None = None) -> None:
        """Mark configuration changed: the running service reloads, open dialogs detect conflicts."""
        connection.execute(
            "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'config_revision'"
        )
        if product_id is not None:
            connection.execute("UPDATE products SET revision = revision + 1 WHERE id = ?", (product_id,))
