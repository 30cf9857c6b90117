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
its newest values, once). A batch of a sender is never split, so the marks are exact; an upward batch
takes whole sender batches up to the row limit of a batch.

This master's own data is not forwarded from here (it goes up from its own store). With several master
instances sharing one PostgreSQL, the instance that replicates upwards forwards every instance's data;
a second instance set to replicate upwards under another name would be refused by the master above (an
origin replicates through one server).
"""

import json
from collections.abc import Callable
from typing import Any

from applet.store.enterprise.dialect import Connection

# Per kind of row: the query of one origin's rows in a range of batch numbers, and how a result row
# becomes a batch row (the origin is added by the caller).
_QUERIES: dict[str, str] = {
    "products": "SELECT name, mode, per_server_licenses, per_seat_licenses, peak FROM ent_products "
    "WHERE origin_key = ? AND via_seq > ? AND via_seq <= ? ORDER BY product_key",
    "groups": "SELECT name, licenses, members FROM ent_groups "
    "WHERE origin_key = ? AND via_seq > ? AND via_seq <= ? ORDER BY group_key",
    "purchases": "SELECT origin_id, product, mode, quantity, administrator, comment, created "
    "FROM ent_purchases WHERE origin_key = ? AND via_seq > ? AND via_seq <= ? ORDER BY origin_id",
    "events": "SELECT origin_id, event_id, type, time, product, message FROM ent_events "
    "WHERE origin_key = ? AND via_seq > ? AND via_seq <= ? ORDER BY origin_id",
    # Deletions before uses, as the origin sent them (the receiving master applies them first).
    "deletions": "SELECT product, user_name FROM ent_seat_deletions "
    "WHERE origin_key = ? AND via_seq > ? AND via_seq <= ? ORDER BY product_key, user_key",
    # Uses and samples keep only the product's key; its name is the pool's or the product's.
    "seat_uses": "SELECT COALESCE(p.product, u.product_key), u.user_name, u.first_used, u.last_used, "
    "u.usage_count FROM ent_seat_uses u LEFT JOIN ent_pools p ON p.product_key = u.product_key "
    "WHERE u.origin_key = ? AND u.via_seq > ? AND u.via_seq <= ? ORDER BY u.product_key, u.user_key",
    "samples": "SELECT COALESCE(p.name, s.product_key), s.minute, s.max_in_use, s.requests, s.denials "
    "FROM ent_samples s LEFT JOIN ent_products p ON p.origin_key = s.origin_key "
    "AND p.product_key = s.product_key WHERE s.origin_key = ? AND s.via_seq > ? AND s.via_seq <= ? "
    "ORDER BY s.product_key, s.minute",
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "products": ("name", "mode", "per_server_licenses", "per_seat_licenses", "peak"),
    "groups": ("name", "licenses", "members"),
    "purchases": ("id", "product", "mode", "quantity", "administrator", "comment", "created"),
    "events": ("id", "event_id", "type", "time", "product", "message"),
    "deletions": ("product", "user"),
    "seat_uses": ("product", "user", "first_used", "last_used", "usage_count"),
    "samples": ("product", "minute", "max_in_use", "requests", "denials"),
}
_CONVERT: dict[str, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {
    "groups": lambda row: (row[0], int(row[1]), json.loads(row[2])),
}

Rows = dict[str, list[dict[str, Any]]]


def forward_rows(
    db: Connection, self_key: str, marks: dict[str, int], budget: int
) -> tuple[Rows, dict[str, int]]:
    """The rows to forward next (at most ``budget``, whole sender batches) and the marks after them.

    ``marks``: per sender (its key), the highest batch number forwarded. Empty rows: nothing to forward.
    """
    rows: Rows = {kind: [] for kind in _QUERIES}
    new_marks = dict(marks)
    taken = 0
    senders = db.execute(
        "SELECT server_key, last_seq FROM ent_servers WHERE server_key <> ? AND last_seq > 0 "
        "ORDER BY server_key",
        (self_key,),
    )
    for sender_key, last_seq in senders:
        low, high = int(marks.get(sender_key, 0)), int(last_seq)
        if high <= low:
            continue
        origins = db.execute("SELECT origin_key, origin FROM ent_origins WHERE via_key = ?", (sender_key,))
        while (found := _read_range(db, origins, low, high, budget - taken + 1)) is None:
            if high == low + 1:
                # One whole batch of this sender does not fit in what is left: in the next batch.
                return (rows if taken else {}), new_marks
            high = low + max(1, (high - low) // 2)  # too many rows: fewer of the sender's batches
        for kind, items in found.items():
            rows[kind].extend(items)
            taken += len(items)
        new_marks[sender_key] = high
        if high < int(last_seq):
            break  # the budget is spent
    return (rows if taken else {}), new_marks


def _read_range(
    db: Connection, origins: list[tuple[Any, ...]], low: int, high: int, limit: int
) -> Rows | None:
    """The rows of batches ``low + 1 .. high`` of the origins, or None when they are ``limit`` or more."""
    found: Rows = {kind: [] for kind in _QUERIES}
    count = 0
    for origin_key, origin in origins:
        for kind, sql in _QUERIES.items():
            result = db.execute(f"{sql} LIMIT ?", (origin_key, low, high, limit - count))
            count += len(result)
            if count >= limit:
                return None
            convert = _CONVERT.get(kind)
            names = _FIELDS[kind]
            found[kind].extend(
                {"origin": origin, **dict(zip(names, convert(row) if convert else row, strict=True))}
                for row in result
            )
    return found
