"""Per Seat allocation in the store: settling who is licensed after purchases, deletions, group changes.

The rule is the domain's (:func:`applet.domain.counting.settle`, described in that module): this module
reads the holders of one product from its ``seat_clients`` rows (a user without a group, or a license
group with licenses, ranked by their earliest row), hands them to the rule with what the rows record
(``licensed_order``: when each holder was licensed, NULL while it waits), and writes back only the rows
whose holder changed. A group change first makes the holders it concerns wait
(:func:`wait_again`), as the rule says.
"""

import sqlite3

from applet.domain.counting import SeatHolder, settle


def rebalance_seats(connection: sqlite3.Connection, product_id: int) -> None:
    """Settle the allocation of one Per Seat product (inside the caller's transaction)."""
    purchased = int(
        connection.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM purchases WHERE product_id = ? AND mode = 'per-seat'",
            (product_id,),
        ).fetchone()[0]
    )
    group_licenses = {
        int(group_id): int(licenses)
        for group_id, licenses in connection.execute("SELECT id, licenses FROM license_groups")
    }
    holders: list[SeatHolder] = []
    by_group: dict[int, SeatHolder] = {}
    rows: list[tuple[SeatHolder, int, int | None]] = []
    for row_id, group_id, order in connection.execute(
        "SELECT id, group_id, licensed_order FROM seat_clients WHERE product_id = ? ORDER BY id",
        (product_id,),
    ):
        # A group without licenses covers nobody: its members hold licenses of their own.
        if group_id is not None and group_licenses.get(group_id, 0) > 0:
            holder = by_group.get(group_id)
            if holder is None:
                holder = SeatHolder(f"group:{group_id}", group_licenses[group_id], row_id, order)
                by_group[group_id] = holder
                holders.append(holder)
            elif holder.licensed_order != order:
                holder.licensed_order = None  # rows that disagree: the holder waits and the rule decides
        else:
            holder = SeatHolder(str(row_id), 1, row_id, order)
            holders.append(holder)
        rows.append((holder, row_id, order))
    newest = connection.execute(
        "SELECT MAX(licensed_order) FROM seat_clients WHERE product_id = ?", (product_id,)
    ).fetchone()[0]
    settle(holders, purchased, 1 + int(newest or 0))
    changes = [
        (int(holder.licensed), holder.licensed_order, row_id)
        for holder, row_id, order in rows
        if order != holder.licensed_order
    ]
    connection.executemany("UPDATE seat_clients SET licensed = ?, licensed_order = ? WHERE id = ?", changes)


def settle_if_over(connection: sqlite3.Connection, product_id: int) -> bool:
    """Settle one product if more licenses are allocated than purchased; True when it was.

    The service decides first uses in memory; an administrator's change written meanwhile (a removal)
    can make a first use it licensed no longer fit. Counting reads only the allocation index.
    """
    allocated = 0
    for group_id, licenses, rows in connection.execute(
        "SELECT c.group_id, g.licenses, COUNT(*) FROM seat_clients c "
        "LEFT JOIN license_groups g ON g.id = c.group_id "
        "WHERE c.product_id = ? AND c.licensed GROUP BY c.group_id",
        (product_id,),
    ):
        allocated += int(licenses) if group_id is not None and licenses else int(rows)
    purchased = int(
        connection.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM purchases WHERE product_id = ? AND mode = 'per-seat'",
            (product_id,),
        ).fetchone()[0]
    )
    if allocated <= purchased:
        return False
    rebalance_seats(connection, product_id)
    return True


def wait_again(connection: sqlite3.Connection, where: str, parameters: tuple[object, ...]) -> None:
    """Make the ``seat_clients`` rows matching ``where`` wait (their holder changed); settle afterwards."""
    connection.execute(
        f"UPDATE seat_clients SET licensed = 0, licensed_order = NULL WHERE {where}", parameters
    )


def per_seat_products(connection: sqlite3.Connection) -> list[int]:
    """Ids of the products that have Per Seat usage rows."""
    return [int(row[0]) for row in connection.execute("SELECT DISTINCT product_id FROM seat_clients")]
