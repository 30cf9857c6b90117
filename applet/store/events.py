"""The event log in the store: appended by the service (in batches) and by administrative changes."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from applet.domain.errors import InvalidInput
from applet.domain.events import CATALOGUE, EventId, render
from applet.store.records import EventRecord
from applet.store.repository import Repository


@dataclass(frozen=True)
class NewEvent:
    """An event to append: catalogue ID, parameters, product; time defaults to now."""

    event_id: EventId
    parameters: tuple[object, ...] = ()
    product: str | None = None
    time: str = ""

    @property
    def message(self) -> str:
        """The rendered message."""
        return render(self.event_id, self.parameters)


EventSortKey = Literal["time", "event", "type", "product", "message"]

# What each sort key orders by; the row id breaks ties (in the same direction), so pages are stable
# and events of the same second keep the order they were logged in. Text sorts case-insensitively
# and an event without a product sorts as the empty text License Manager shows for it; the stored
# types ("error", "information", "warning") sort as their labels do.
_EVENT_ORDER: dict[str, str] = {
    "time": "time",
    "event": "event_id",
    "type": "type",
    "product": "COALESCE(product, '') COLLATE NOCASE",
    "message": "message COLLATE NOCASE",
}


def _filter(
    product: str | None, event_type: str | None, since: str | None = None, after_id: int | None = None
) -> tuple[str, list[object]]:
    """The WHERE clause (with its leading space, or empty) and parameters of an event query."""
    where: list[str] = []
    parameters: list[object] = []
    for clause, value in (
        ("product = ? COLLATE NOCASE", product),
        ("type = ?", event_type),
        ("time >= ?", since),
        ("id > ?", after_id),
    ):
        if value is not None:
            where.append(clause)
            parameters.append(value)
    return (" WHERE " + " AND ".join(where)) if where else "", parameters


class EventRepository(Repository):
    """The ``events`` table."""

    def append(self, events: Sequence[NewEvent]) -> list[EventRecord]:
        """Append events in one transaction; returns them with their ids."""
        with self.db.transaction() as connection:
            return [
                self.log_event(connection, event.event_id, event.parameters, event.product, event.time)
                for event in events
            ]

    def page(
        self,
        sort: EventSortKey = "time",
        descending: bool = True,
        product: str | None = None,
        event_type: str | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> list[EventRecord]:
        """One page of License Manager's Events tab, sorted and filtered in SQL (newest first by default)."""
        if sort not in _EVENT_ORDER:
            raise InvalidInput(f"cannot sort events by {sort!r}")
        direction = "DESC" if descending else "ASC"
        where, parameters = _filter(product, event_type)
        sql = (
            f"SELECT id, event_id, type, source, time, product, message, parameters FROM events{where} "
            f"ORDER BY {_EVENT_ORDER[sort]} {direction}, id {direction} LIMIT ? OFFSET ?"
        )
        with self.db.errors():
            rows = self.connection.execute(sql, [*parameters, max(0, limit), max(0, offset)]).fetchall()
        return [_event(row) for row in rows]

    def list(
        self,
        product: str | None = None,
        since: str | None = None,
        after_id: int | None = None,
        event_type: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        offset: int = 0,
    ) -> list[EventRecord]:
        """Events, oldest first unless ``newest_first``, with optional filters (``offset`` skips)."""
        where, parameters = _filter(product, event_type, since, after_id)
        sql = "SELECT id, event_id, type, source, time, product, message, parameters FROM events" + where
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            parameters += [-1 if limit is None else limit, max(0, offset)]
        with self.db.errors():
            rows = self.connection.execute(sql, parameters).fetchall()
        return [_event(row) for row in rows]

    def count(self, product: str | None = None, event_type: str | None = None) -> int:
        """How many events :meth:`list` would return with the same product and type filters."""
        where, parameters = _filter(product, event_type)
        sql = "SELECT COUNT(*) FROM events" + where
        with self.db.errors():
            return int(self.connection.execute(sql, parameters).fetchone()[0])

    def latest_id(self) -> int:
        """The id of the newest event (0 when there is none): poll it to notice new events."""
        with self.db.errors():
            return int(self.connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])

    def products(self) -> tuple[str, ...]:
        """The product names events were logged for, by name (for an event filter)."""
        with self.db.errors():
            rows = self.connection.execute(
                "SELECT DISTINCT product FROM events WHERE product IS NOT NULL "
                "ORDER BY product COLLATE NOCASE"
            ).fetchall()
        return tuple(str(row[0]) for row in rows)

    def violation_counts(self) -> dict[str, int]:
        """Per product (case-folded name): how many violation events (201, 202, 221) were logged."""
        ids = [int(event_id) for event_id, definition in CATALOGUE.items() if definition.is_violation]
        marks = ", ".join("?" for _ in ids)
        with self.db.errors():
            rows = self.connection.execute(
                f"SELECT product, COUNT(*) FROM events WHERE event_id IN ({marks}) AND product IS NOT NULL "
                "GROUP BY product COLLATE NOCASE",
                ids,
            ).fetchall()
        return {str(row[0]).casefold(): int(row[1]) for row in rows}


def _event(row: tuple[Any, ...]) -> EventRecord:
    return EventRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(json.loads(row[7])))
