"""Upward replication by a master: what it forwards to its own master from its enterprise database.

A domain master that replicates to an enterprise server sends, besides its own license data (from its
own store, :mod:`applet.store.outbox`), everything its servers replicated to it, each row with its
*origin* server unchanged: the enterprise server keys rows by origin, so a row that reaches it through
two paths is stored once, and a user seen on servers under two domain masters is one user there.

What changed is found by the batch numbers: every row in the enterprise database carries ``via_seq``,
the number of the sender's batch that last wrote it. The forwarder keeps, per sender, the highest batch
number it has forwarded (its *marks*, saved in this master's own store together with the upward batch
they produced, so a batch is never rebuilt differently after a crash); the next upward batch carries the
rows of that sender's batches after the mark, as they are now (a row written again later is sent with
its newest values, once). An upward batch takes whole sender batches up to the row limit of a batch; a
sender batch larger than that (the rows a release-1 database held, which its migration counts as batch
1) is sent in parts, in the order of the rows' keys, the mark remembering the last key sent.

This master's own data is not forwarded from here (it goes up from its own store). With several master
instances sharing one PostgreSQL, the instance that replicates upwards forwards every instance's data;
a second instance set to replicate upwards under another name would be refused by the master above (an
origin replicates through one server).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from applet.store.enterprise.dialect import Connection


@dataclass(frozen=True)
class _Kind:
    """One kind of row: where it is, its key after the origin, and how a row becomes a batch row."""

    name: str
    source: str  # FROM ... (the row's table as ``t``)
    keys: tuple[str, ...]
    columns: str
    fields: tuple[str, ...]
    convert: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None

    def select(self, after_key: bool) -> str:
        """The rows of one origin in a range of batch numbers (``after_key``: past a key), in key order."""
        keys = ", ".join(f"t.{key}" for key in self.keys)
        after = f" AND ({keys}) > ({', '.join('?' * len(self.keys))})" if after_key else ""
        return (
            f"SELECT {keys}, {self.columns} FROM {self.source} WHERE t.origin_key = ? AND t.via_seq > ? "
            f"AND t.via_seq <= ?{after} ORDER BY {keys} LIMIT ?"
        )


# Deletions before uses, as the origin sent them (the receiving master applies them first). Uses and
# samples keep only the product's key; its name is the pool's or the product's.
KINDS = (
    _Kind(
        "products",
        "ent_products t",
        ("product_key",),
        "t.name, t.mode, t.per_server_licenses, t.per_seat_licenses, t.peak, t.removed",
        ("name", "mode", "per_server_licenses", "per_seat_licenses", "peak", "removed"),
    ),
    _Kind(
        "groups",
        "ent_groups t",
        ("group_key",),
        "t.name, t.licenses, t.members",
        ("name", "licenses", "members"),
        lambda row: (row[0], int(row[1]), json.loads(row[2])),
    ),
    _Kind(
        "purchases",
        "ent_purchases t",
        ("origin_id",),
        "t.origin_id, t.product, t.mode, t.quantity, t.administrator, t.comment, t.created",
        ("id", "product", "mode", "quantity", "administrator", "comment", "created"),
    ),
    _Kind(
        "events",
        "ent_events t",
        ("origin_id",),
        "t.origin_id, t.event_id, t.type, t.time, t.product, t.message",
        ("id", "event_id", "type", "time", "product", "message"),
    ),
    _Kind(
        "deletions",
        "ent_seat_deletions t",
        ("product_key", "user_key"),
        "t.product, t.user_name",
        ("product", "user"),
    ),
    _Kind(
        "seat_uses",
        "ent_seat_uses t LEFT JOIN ent_pools p ON p.product_key = t.product_key",
        ("product_key", "user_key"),
        "COALESCE(p.product, t.product_key), t.user_name, t.first_used, t.last_used, t.usage_count",
        ("product", "user", "first_used", "last_used", "usage_count"),
    ),
    _Kind(
        "samples",
        "ent_samples t LEFT JOIN ent_products p "
        "ON p.origin_key = t.origin_key AND p.product_key = t.product_key",
        ("product_key", "minute"),
        "COALESCE(p.name, t.product_key), t.minute, t.max_in_use, t.requests, t.denials",
        ("product", "minute", "max_in_use", "requests", "denials"),
    ),
)

Rows = dict[str, list[dict[str, Any]]]
Origins = list[tuple[Any, ...]]


def forward_rows(
    db: Connection, self_key: str, marks: dict[str, Any], budget: int
) -> tuple[Rows, dict[str, Any]]:
    """The rows to forward next (at most ``budget``) and the marks after them.

    ``marks``: ``{"done": {sender: highest batch forwarded}, "part": {sender: where the next part of
    its next batch starts}}``. Empty rows: nothing to forward.
    """
    rows: Rows = {kind.name: [] for kind in KINDS}
    done: dict[str, int] = dict(marks.get("done", {}))
    part: dict[str, list[Any]] = dict(marks.get("part", {}))
    taken = 0

    def result() -> tuple[Rows, dict[str, Any]]:
        return (rows if taken else {}), {"done": done, "part": part}

    senders = db.execute(
        "SELECT server_key, last_seq FROM ent_servers WHERE server_key <> ? AND last_seq > 0 "
        "ORDER BY server_key",
        (self_key,),
    )
    for sender_key, last_seq in senders:
        low, last = int(done.get(sender_key, 0)), int(last_seq)
        origins = sorted(
            db.execute("SELECT origin_key, origin FROM ent_origins WHERE via_key = ?", (sender_key,))
        )
        while low < last and taken < budget:
            if sender_key in part:
                count, cursor = _read_part(db, origins, low + 1, part[sender_key], rows, budget - taken)
                taken += count
                if cursor is not None:
                    part[sender_key] = cursor
                    return result()
                del part[sender_key]
                low = done[sender_key] = low + 1
                continue
            high = last
            while (found := _read_range(db, origins, low, high, budget - taken + 1)) is None:
                if high == low + 1:
                    break
                high = low + max(1, (high - low) // 2)  # too many rows: fewer of the sender's batches
            if found is None:
                if taken:
                    return result()  # this batch of the sender goes in the next upward batch
                part[sender_key] = []  # larger than a whole upward batch: sent in parts
                continue
            for kind, items in found.items():
                rows[kind].extend(items)
                taken += len(items)
            low = done[sender_key] = high
    return result()


def _batch_row(kind: _Kind, origin: str, row: tuple[Any, ...]) -> dict[str, Any]:
    values = row[len(kind.keys) :]
    return {
        "origin": origin,
        **dict(zip(kind.fields, kind.convert(values) if kind.convert else values, strict=True)),
    }


def _read_range(db: Connection, origins: Origins, low: int, high: int, limit: int) -> Rows | None:
    """The rows of batches ``low + 1 .. high`` of the origins, or None when they are ``limit`` or more."""
    found: Rows = {kind.name: [] for kind in KINDS}
    count = 0
    for origin_key, origin in origins:
        for kind in KINDS:
            result = db.execute(kind.select(False), (origin_key, low, high, limit - count))
            count += len(result)
            if count >= limit:
                return None
            found[kind.name].extend(_batch_row(kind, origin, row) for row in result)
    return found


def _read_part(
    db: Connection, origins: Origins, seq: int, cursor: list[Any], rows: Rows, limit: int
) -> tuple[int, list[Any] | None]:
    """Rows of batch ``seq`` after ``cursor`` ([origin, kind, key...]; empty: from the start), at most
    ``limit``, added to ``rows``; how many, and the cursor after them (None when the batch is done)."""
    count = 0
    start = (cursor[0], cursor[1]) if cursor else None
    for origin_key, origin in origins:
        for index, kind in enumerate(KINDS):
            if start is not None and (origin_key, index) < start:
                continue
            after = list(cursor[2:]) if start == (origin_key, index) else []
            found = db.execute(kind.select(bool(after)), (origin_key, seq - 1, seq, *after, limit - count))
            rows[kind.name].extend(_batch_row(kind, origin, row) for row in found)
            count += len(found)
            if count >= limit:
                return count, [origin_key, index, *found[-1][: len(kind.keys)]]
    return count, None
