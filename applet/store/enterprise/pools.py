"""The enterprise Per Seat pools: who holds a license from each product's pool, as batches arrive.

The rule is the domain's (:mod:`applet.domain.counting`), the same as on one server: a user takes one
license on the first use the master learns of, in arrival order; those beyond the pool are unlicensed,
not refused; licensed holders keep their licenses; free licenses go to waiting holders by first use;
a license group holds its number of licenses once for all its members. The common case -- new users,
no groups among them -- is decided from the pool's totals alone; purchases, deletions and group
changes settle the product's whole pool with :meth:`PerSeatAllocator.restore`.
"""

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from applet.domain.counting import PerSeatAllocator
from applet.store.enterprise.batch import Batch
from applet.store.enterprise.dialect import Connection

# A Per Seat use as staged (``dialect.STAGE_COLUMNS``): origin, product and user keys, the user's name,
# first and last use, usage count; one row per key.
StagedUse = tuple[str, str, str, str, str, str, int]
# A batch's users of one product, keyed (product, user): name, first and last use over its origins.
BatchUsers = dict[tuple[str, str], tuple[str, str, str]]


@dataclass
class IngestResult:
    """What storing a batch did."""

    server: str
    seq: int
    acknowledged: int
    duplicate: bool = False
    rows: int = 0
    # Per product: users the pool could not license in this batch, and (users, purchased) when over.
    unlicensed: dict[str, list[str]] = field(default_factory=dict)
    over: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Groups:
    """The enterprise's license groups, as the allocation rule takes them.

    Design: license groups replicate up like every other row, each origin's whole set of groups (the
    master's own groups arrive the same way, from its own store). The enterprise merges them by name:
    a group's number of licenses is the largest any origin gives it, its members are every origin's
    members of it, and a user named in two different groups belongs to the one whose name sorts first.
    So a group defined on the master alone applies enterprise-wide, and one defined alike on several
    servers counts once. A group with no licenses covers nobody (as on one server).
    """

    licenses: dict[str, int]
    membership: dict[str, str]


def effective_groups(db: Connection) -> Groups:
    """The license groups of every origin, merged as :class:`Groups` says."""
    licenses: dict[str, int] = {}
    candidates: dict[str, set[str]] = defaultdict(set)
    for group_key, count, members in db.execute("SELECT group_key, licenses, members FROM ent_groups"):
        licenses[group_key] = max(licenses.get(group_key, 0), int(count))
        for member in json.loads(members):
            candidates[member.casefold()].add(group_key)
    membership = {}
    for user, names in candidates.items():
        covered = sorted(name for name in names if licenses.get(name, 0) > 0)
        if covered:
            membership[user] = covered[0]
    return Groups({key: count for key, count in licenses.items() if count > 0}, membership)


def _group_changes(before: Groups, after: Groups) -> tuple[set[str], dict[str, str]]:
    """Users whose holder changed: those who wait again, and those who joined a group (user -> group).

    As on one server: a group whose number of licenses changed (or that appeared or went) waits again
    with all its members; a user who leaves a group waits as a holder of their own; a user who joins
    an unchanged group shares its state.
    """
    changed = {
        group
        for group in set(before.licenses) | set(after.licenses)
        if before.licenses.get(group) != after.licenses.get(group)
    }
    waiting = {
        user
        for membership in (before.membership, after.membership)
        for user, group in membership.items()
        if group in changed
    }
    joining: dict[str, str] = {}
    for user in set(before.membership) | set(after.membership):
        old, new = before.membership.get(user), after.membership.get(user)
        if old == new or user in waiting:
            continue
        if new is None:
            waiting.add(user)
        else:
            joining[user] = new
    return waiting, joining


def allocate(
    db: Connection,
    batch: Batch,
    result: IngestResult,
    before: Groups | None,
    staged: list[StagedUse],
) -> None:
    """Settle the enterprise Per Seat pools the batch touches (see the package docstring).

    ``staged``: the batch's Per Seat uses as stored (in the staging table too).
    """
    names: dict[str, str] = {}
    for product in dict.fromkeys(map(itemgetter(1), batch.rows.get("seat_uses", []))):
        names.setdefault(product.casefold(), product)
    used = set(names)
    repriced: set[str] = set()
    for _origin, _id, product, mode, *_rest in batch.rows.get("purchases", []):
        if mode == "per-seat":
            repriced.add(product.casefold())
            names.setdefault(product.casefold(), product)
    deleted: set[tuple[str, str]] = set()
    for _origin, product, user in batch.rows.get("deletions", []):
        deleted.add((product.casefold(), user.casefold()))
        names.setdefault(product.casefold(), product)
    groups = effective_groups(db) if before is not None else None
    waiting: set[str] = set()
    joining: dict[str, str] = {}
    if before is not None and groups is not None:
        waiting, joining = _group_changes(before, groups)
        if waiting or joining:
            # A group change concerns every product its users use.
            for product_key, product in db.execute("SELECT product_key, product FROM ent_pools"):
                names.setdefault(product_key, product)
    # Pool rows are locked in one order by every master instance, so two never deadlock; under
    # these locks no other instance can take the same users as new.
    pools: dict[str, list[int]] = {}
    for product_key in sorted(names):
        db.execute(
            "INSERT INTO ent_pools (product_key, product) VALUES (?, ?) ON CONFLICT (product_key) DO NOTHING",
            (product_key, names[product_key]),
        )
        row = db.execute(
            "SELECT purchased, allocated, users, next_arrival, next_order, unlicensed FROM ent_pools "
            f"WHERE product_key = ?{db.for_update}",
            (product_key,),
        )[0]
        pools[product_key] = [int(value) for value in row]
    settle = _forget_deleted(db, deleted) | ({key for key in pools} if waiting or joining else set())
    # A purchase settles the pool (O(users)) only when the enterprise total changed: a purchase
    # already stored (forwarded again by a master whose marks were reset) changes nothing.
    settle |= {key for key in repriced if _purchased(db, key) != pools[key][0]}
    if settle:
        groups = groups or effective_groups(db)
        for product_key in sorted(settle):
            pools[product_key] = _resettle(db, product_key, pools[product_key], groups, waiting, joining)
    if used:
        _new_users(db, pools, result, names, _batch_users(staged), groups)
    for product_key, (purchased, allocated, users, arrival, order, unlicensed) in pools.items():
        db.execute(
            "UPDATE ent_pools SET purchased = ?, allocated = ?, users = ?, next_arrival = ?, "
            "next_order = ?, unlicensed = ? WHERE product_key = ?",
            (purchased, allocated, users, arrival, order, unlicensed, product_key),
        )


def _batch_users(staged: list[StagedUse]) -> BatchUsers:
    """Per (product, user) of the batch: its name and its first and last use over its origins."""
    users = {(product, user): (name, first, last) for _o, product, user, name, first, last, _c in staged}
    if len(users) == len(staged):
        return users  # each user once (a batch of one origin): nothing to merge
    users = {}
    for _origin, product, user, name, first, last, _count in staged:
        seen = users.get((product, user))
        users[product, user] = (
            (name, first, last)
            if seen is None
            else (min(seen[0], name), min(seen[1], first), max(seen[2], last))
        )
    return users


def _forget_deleted(db: Connection, deleted: set[tuple[str, str]]) -> set[str]:
    """Deleted users leave the pool once no server has them; the products to settle."""
    resettle = set()
    for product_key, user_key in sorted(deleted):
        remaining = db.execute(
            "SELECT MIN(first_used), MAX(last_used) FROM ent_seat_uses "
            "WHERE user_key = ? AND product_key = ?",
            (user_key, product_key),
        )[0]
        if remaining[0] is None:
            db.execute(
                "DELETE FROM ent_seats WHERE product_key = ? AND user_key = ?", (product_key, user_key)
            )
            resettle.add(product_key)
        else:
            db.execute(
                "UPDATE ent_seats SET first_used = ?, last_used = ? WHERE product_key = ? AND user_key = ?",
                (remaining[0], remaining[1], product_key, user_key),
            )
    return resettle


def _purchased(db: Connection, product_key: str) -> int:
    """The enterprise's Per Seat licenses of a product: its Per Seat purchases on every server."""
    total = db.execute(
        "SELECT COALESCE(SUM(quantity), 0) FROM ent_purchases WHERE product_key = ? AND mode = 'per-seat'",
        (product_key,),
    )[0][0]
    return max(int(total), 0)


def _resettle(
    db: Connection,
    product_key: str,
    pool: list[int],
    groups: Groups,
    waiting: set[str] = frozenset(),  # type: ignore[assignment]
    joining: Mapping[str, str] | None = None,
) -> list[int]:
    """Settle one product's pool with the rule of one server; its new pool values.

    What changed first: the holders of a changed group wait (``waiting``); a user who joined a
    group takes the group's state (``joining``: user -> group). Then the domain's rule
    (:meth:`PerSeatAllocator.restore`) settles purchases, removals, deletions and group changes:
    licensed holders keep their licenses, free licenses go to waiting holders by first use.
    """
    _before, _allocated, _users, arrival, order, _unlicensed = pool
    purchased = _purchased(db, product_key)
    recorded: dict[str, int | None] = {
        user_key: None if licensed_order is None else int(licensed_order)
        for user_key, licensed_order in db.execute(
            "SELECT user_key, licensed_order FROM ent_seats WHERE product_key = ? ORDER BY arrival",
            (product_key,),
        )
    }
    start = {user: (None if user in waiting else value) for user, value in recorded.items()}
    if joining:
        group_order: dict[str, int | None] = {}
        for user, value in start.items():
            group = groups.membership.get(user)
            if group is not None and user not in joining and value is not None:
                group_order.setdefault(group, value)
        for user, group in joining.items():
            if user in start:
                start[user] = group_order.get(group)
    allocator = PerSeatAllocator.restore(purchased, start.items(), groups.licenses, groups.membership)
    changes = [
        (holder.licensed_order, product_key, user)
        for holder in allocator.holders
        for user in holder.users
        if holder.licensed_order != recorded[user]
    ]
    if changes:
        db.executemany(
            "UPDATE ent_seats SET licensed_order = ? WHERE product_key = ? AND user_key = ?", changes
        )
    given = [holder.licensed_order for holder in allocator.holders if holder.licensed_order is not None]
    return [
        purchased,
        allocator.allocated,
        len(recorded),
        arrival,
        max([order, *(number + 1 for number in given)]),
        allocator.unlicensed_users,
    ]


def _new_users(
    db: Connection,
    pools: dict[str, list[int]],
    result: IngestResult,
    names: dict[str, str],
    staged: BatchUsers,
    groups: Groups | None,
) -> None:
    """Users of the staged uses new to the enterprise: licensed while the pool has licenses free.

    The staged uses also move the first and last use of the users already known.
    """
    # The staged users the enterprise knows already: a join on ent_seats' key, few rows while
    # catching up. (Grouping the staged rows in SQL to pick the new ones cost more than all the
    # other statements of a batch together.)
    known = set(
        db.execute(
            "SELECT s.product_key, s.user_key FROM ent_stage s JOIN ent_seats e "
            "ON e.product_key = s.product_key AND e.user_key = s.user_key"
        )
    )
    new: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for (product_key, user_key), (user_name, first, last) in staged.items():
        if (product_key, user_key) not in known:
            new[product_key].append((user_key, user_name, first, last))
    if new and groups is None and db.execute("SELECT 1 FROM ent_groups WHERE licenses > 0 LIMIT 1"):
        groups = effective_groups(db)
    inserts: list[tuple[str, str, str, int, int | None, str, str]] = []
    grouped: list[str] = []
    for product_key, users in new.items():
        purchased, allocated, count, arrival, order, unlicensed_count = pools[product_key]
        # In the order of first use, as one server would have met them.
        users.sort(key=itemgetter(2, 0))
        if groups is not None and any(user[0] in groups.membership for user in users):
            # A member of a license group shares its group's licenses: the rule settles them.
            grouped.append(product_key)
            inserts.extend(
                (product_key, user_key, user_name, arrival + offset, None, first, last)
                for offset, (user_key, user_name, first, last) in enumerate(users)
            )
            pools[product_key][3] = arrival + len(users)
            continue
        # The pool's free licenses are what a fresh allocator of that size hands out (the rule: a
        # new holder is licensed when it fits in what is free).
        allocator = PerSeatAllocator(max(purchased - allocated, 0))
        unlicensed = []
        offset = 0
        while allocator.free and offset < len(users):
            user_key, user_name, first, last = users[offset]
            licensed_order = allocator.use(user_key).licensed_order
            if licensed_order is None:
                unlicensed.append(user_name)
            else:
                licensed_order += order - 1
            inserts.append((product_key, user_key, user_name, arrival + offset, licensed_order, first, last))
            offset += 1
        # None free: every later new holder waits (the rule), no need to ask.
        rest = users[offset:]
        unlicensed += map(itemgetter(1), rest)
        inserts += [
            (product_key, user_key, user_name, at, None, first, last)
            for at, (user_key, user_name, first, last) in enumerate(rest, arrival + offset)
        ]
        pools[product_key] = [
            purchased,
            allocated + allocator.allocated,
            count + len(users),
            arrival + len(users),
            order + allocator.allocated,
            unlicensed_count + len(unlicensed),
        ]
        if unlicensed:
            result.unlicensed[names[product_key]] = unlicensed
            result.over[names[product_key]] = (count + len(users), purchased)
    if inserts:
        db.bulk_insert(
            "ent_seats",
            (
                "product_key",
                "user_key",
                "user_name",
                "arrival",
                "licensed_order",
                "first_used",
                "last_used",
            ),
            inserts,
        )
    for product_key in grouped:
        assert groups is not None
        pools[product_key] = _resettle(db, product_key, pools[product_key], groups)
        waiting = [
            user_name
            for user_key, user_name, *_times in new[product_key]
            if db.execute(
                "SELECT licensed_order FROM ent_seats WHERE product_key = ? AND user_key = ?",
                (product_key, user_key),
            )[0][0]
            is None
        ]
        if waiting:
            result.unlicensed[names[product_key]] = waiting
            result.over[names[product_key]] = (pools[product_key][2], pools[product_key][0])
    # Users already known: move their first and last use (keyed updates; a set-based UPDATE ... FROM
    # the staging table was planned as a scan of all of ent_seats, slower with every batch).
    moved = []
    for product_key, user_key in known:
        _name, first, last = staged[product_key, user_key]
        moved.append((first, last, product_key, user_key, first, last))
    if moved:
        db.executemany(
            f"UPDATE ent_seats SET first_used = {db.least('first_used', '?')}, "
            f"last_used = {db.greatest('last_used', '?')} WHERE product_key = ? AND user_key = ? "
            "AND (? < first_used OR ? > last_used)",
            moved,
        )
