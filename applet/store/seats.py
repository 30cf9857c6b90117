"""Per Seat allocation in the store: re-deciding who is licensed after purchases, deletions, groups.

The domain rule (:func:`applet.domain.counting.allocate_in_order`) decides; this module only reads the
holders of one product in age order and writes the flags that changed.
"""

import sqlite3

from applet.domain.counting import allocate_in_order


def rebalance_seats(connection: sqlite3.Connection, product_id: int) -> None:
    """Recompute the ``licensed`` flags of one Per Seat product (inside the caller's transaction)."""
    purchased = int(
        connection.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM purchases WHERE product_id = ? AND mode = 'per-seat'",
            (product_id,),
        ).fetchone()[0]
    )
    group_licenses = dict(connection.execute("SELECT id, licenses FROM license_groups").fetchall())
    # A holder is a user without a group (key: row id) or a license group (key: -group id); its age
    # is its oldest row.
    holders: dict[int, list[int]] = {}
    units: dict[int, int] = {}
    current: dict[int, int] = {}
    for row_id, group_id, licensed in connection.execute(
        "SELECT id, group_id, licensed FROM seat_clients WHERE product_id = ? ORDER BY id", (product_id,)
    ):
        key = -group_id if group_id is not None else row_id
        if key not in holders:
            holders[key] = []
            units[key] = group_licenses.get(group_id, 1) if group_id is not None else 1
        holders[key].append(row_id)
        current[row_id] = licensed
    keys = list(holders)
    decisions = allocate_in_order([units[key] for key in keys], purchased)
    changes = [
        (int(fits), row_id)
        for key, fits in zip(keys, decisions, strict=True)
        for row_id in holders[key]
        if current[row_id] != int(fits)
    ]
    connection.executemany("UPDATE seat_clients SET licensed = ? WHERE id = ?", changes)


def per_seat_products(connection: sqlite3.Connection) -> list[int]:
    """Ids of the products that have Per Seat usage rows."""
    return [int(row[0]) for row in connection.execute("SELECT DISTINCT product_id FROM seat_clients")]
