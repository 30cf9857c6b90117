"""One replication batch: its JSON form and the checks a master applies before storing anything.

A batch is a JSON object::

    {"protocol": 1, "server": "NAME", "seq": N, "created": ISO-8601 UTC,
     "products":  [{"origin", "name", "mode", "per_server_licenses", "per_seat_licenses", "peak",
                    "removed": ISO-8601 or null}],
     "seat_uses": [{"origin", "product", "user", "first_used", "last_used", "usage_count"}],
     "samples":   [{"origin", "product", "minute", "max_in_use", "requests", "denials"}],
     "purchases": [{"origin", "id", "product", "mode", "quantity", "administrator", "comment", "created"}],
     "events":    [{"origin", "id", "event_id", "type", "time", "product", "message"}],
     "deletions": [{"origin", "product", "user"}],
     "groups":    [{"origin", "name", "licenses", "members": [USER, ...]}]}

Protocol 2 added ``products.removed`` (when the product was removed on its origin; null while it is
registered), ``deletions`` (a Per Seat client deleted on its origin, for one product) and ``groups``
(an origin's license groups, each whole; a removed group is sent once with no licenses and no members);
a master still accepts protocol 1 batches, which have neither.

Anything else (a missing or mistyped field, an unknown mode, a negative count, a batch dated in the
future) makes the whole batch malformed: :class:`InvalidInput`, and nothing of it is stored.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from applet.domain.errors import InvalidInput
from applet.domain.replication import clean_server_name

PROTOCOL = 2
PROTOCOLS = (1, 2)
MAX_GROUP_MEMBERS = 10_000
MAX_BATCH_ROWS = 20_000
MAX_BATCH_BYTES = 16 * 1024 * 1024
CLOCK_TOLERANCE = timedelta(minutes=5)
MODES = ("per-server", "per-seat")
MAX_TEXT = 1024
MAX_INT = 2**62

# Per kind of row: its fields, each with the Python type it must have.
ROW_FIELDS: dict[str, tuple[tuple[str, type], ...]] = {
    "products": (
        ("origin", str),
        ("name", str),
        ("mode", str),
        ("per_server_licenses", int),
        ("per_seat_licenses", int),
        ("peak", int),
        ("removed", str),
    ),
    "seat_uses": (
        ("origin", str),
        ("product", str),
        ("user", str),
        ("first_used", str),
        ("last_used", str),
        ("usage_count", int),
    ),
    "samples": (
        ("origin", str),
        ("product", str),
        ("minute", int),
        ("max_in_use", int),
        ("requests", int),
        ("denials", int),
    ),
    "purchases": (
        ("origin", str),
        ("id", int),
        ("product", str),
        ("mode", str),
        ("quantity", int),
        ("administrator", str),
        ("comment", str),
        ("created", str),
    ),
    "events": (
        ("origin", str),
        ("id", int),
        ("event_id", int),
        ("type", str),
        ("time", str),
        ("product", str),
        ("message", str),
    ),
    "deletions": (
        ("origin", str),
        ("product", str),
        ("user", str),
    ),
    "groups": (
        ("origin", str),
        ("name", str),
        ("licenses", int),
        ("members", list),
    ),
}
# Integers that may be negative (a license removal); every other integer is >= 0.
SIGNED = {("purchases", "quantity"), ("products", "per_server_licenses"), ("products", "per_seat_licenses")}
OPTIONAL = {("events", "product"), ("products", "removed")}
_MODE_FIELD = {"products": 2, "purchases": 3}
_PRODUCT_FIELD = {"products": 1, "seat_uses": 1, "samples": 1, "purchases": 2, "deletions": 1}


@dataclass
class Batch:
    """A parsed batch: rows as tuples in :data:`ROW_FIELDS` order."""

    server: str
    seq: int
    created: str
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def count(self) -> int:
        """Rows of every kind."""
        return sum(len(rows) for rows in self.rows.values())

    def origins(self) -> set[str]:
        """The origin servers of the rows (their first field)."""
        return {row[0] for rows in self.rows.values() for row in rows}

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        document: dict[str, Any] = {
            "protocol": PROTOCOL,
            "server": self.server,
            "seq": self.seq,
            "created": self.created,
        }
        for kind, fields in ROW_FIELDS.items():
            names = [name for name, _ in fields]
            document[kind] = [dict(zip(names, row, strict=True)) for row in self.rows.get(kind, [])]
        return document


class CaseFolded(dict[str, str]):
    """Names to their keys (``casefold``, as the master keys rows), each folded once: a batch repeats a
    few origins and products on every row."""

    def __missing__(self, name: str) -> str:
        key = self[name] = name.casefold()
        return key


def parse_batch(document: object, now: datetime | None = None) -> Batch:
    """Check a batch document and return it parsed; :class:`InvalidInput` says what is wrong.

    (The service decodes a body with :func:`applet.store.enterprise.decode.decode_batch`, the same
    checks in one pass.)
    """
    if not isinstance(document, dict):
        raise InvalidInput("a batch must be a JSON object")
    batch = batch_header(
        document.get("protocol"), document.get("server"), document.get("seq"), document.get("created"), now
    )
    origins: set[str] = set()
    times: set[str] = set()
    total = 0
    for kind, fields in ROW_FIELDS.items():
        items = document.get(kind, [])
        if not isinstance(items, list):
            raise InvalidInput(f"{kind} must be a list")
        total += len(items)
        if total > MAX_BATCH_ROWS:
            raise InvalidInput(f"a batch holds at most {MAX_BATCH_ROWS} rows")
        rows = [_row(kind, fields, item) for item in items]
        check_rows(kind, rows, origins, times)
        batch.rows[kind] = rows
    return batch


def batch_header(
    protocol: object, server: object, seq: object, created: object, now: datetime | None = None
) -> Batch:
    """A batch with no rows yet, from its checked header fields."""
    if protocol not in PROTOCOLS:
        raise InvalidInput(f"unknown replication protocol {protocol!r} (this master speaks 1 and 2)")
    name = clean_server_name(server)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq < MAX_INT:
        raise InvalidInput("seq must be a whole number from 1")
    created = _time(created, "created")
    moment = now or datetime.now(UTC)
    if datetime.fromisoformat(created) > moment + CLOCK_TOLERANCE:
        raise InvalidInput(f"the batch is dated {created}, in the future of the master's clock")
    return Batch(name, seq, created)


def check_rows(kind: str, rows: list[tuple[Any, ...]], origins: set[str], times: set[str]) -> None:
    """The rules on values of a kind's rows, whose fields have their types already.

    Each rule looks at the distinct values of a field: a batch repeats a few origins, products and
    modes, and a server's uses share a few hundred minutes at most. ``origins`` and ``times``: the
    values already checked in the batch's other kinds (updated).
    """
    mode_at = _MODE_FIELD.get(kind)
    if mode_at is not None and not {row[mode_at] for row in rows} <= set(MODES):
        raise InvalidInput(f"{kind}: mode must be per-server or per-seat")
    if kind == "groups" and any(not row[1].strip() for row in rows):
        raise InvalidInput("groups: the group name must not be empty")
    if kind == "seat_uses":
        for at, what in ((3, "seat_uses.first_used"), (4, "seat_uses.last_used")):
            for value in {row[at] for row in rows} - times:
                times.add(_time(value, what))
    for origin in {row[0] for row in rows} - origins:
        clean_server_name(origin)
        origins.add(origin)
    product_at = _PRODUCT_FIELD.get(kind)
    if product_at is not None and any(not name.strip() for name in {row[product_at] for row in rows}):
        raise InvalidInput(f"{kind}: the product name must not be empty")


def _row(kind: str, fields: tuple[tuple[str, type], ...], item: object) -> tuple[Any, ...]:
    """One row as a tuple, each field of its type (:func:`check_rows` checks the values)."""
    if not isinstance(item, dict):
        raise InvalidInput(f"a {kind} row must be an object")
    values: list[Any] = []
    for name, kind_of in fields:
        value = item.get(name)
        if value is None and (kind, name) in OPTIONAL:
            values.append(None)
            continue
        if kind_of is list:
            if (
                not isinstance(value, list)
                or len(value) > MAX_GROUP_MEMBERS
                or not all(isinstance(member, str) and 0 < len(member) <= MAX_TEXT for member in value)
            ):
                raise InvalidInput(f"{kind}.{name} must be a list of at most {MAX_GROUP_MEMBERS} names")
        elif kind_of is int:
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= MAX_INT:
                raise InvalidInput(f"{kind}.{name} must be a whole number")
            if value < 0 and (kind, name) not in SIGNED:
                raise InvalidInput(f"{kind}.{name} must not be negative")
        elif not isinstance(value, str) or len(value) > MAX_TEXT:
            raise InvalidInput(f"{kind}.{name} must be text of at most {MAX_TEXT} characters")
        values.append(value)
    return tuple(values)


def _time(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} must be an ISO 8601 time, not {value!r}") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{what} must carry its UTC offset")
    return value
