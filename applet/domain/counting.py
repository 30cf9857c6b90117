"""Usage counting: Per Server concurrent connections and Per Seat first-use allocation.

Both counters are pure state machines; the service drives them from license requests and observed
sessions, and the store persists what they decide.

Per Server (original: concurrent connections per product on this server):
    * a connection is counted per *client* (host); several connections from one client count once;
    * at the limit a request is denied, except for administrators, who are always admitted and still
      counted, so usage can exceed the limit (the service admits observed connections the same way:
      what is already connected cannot be refused);
    * the highest concurrent count reached is tracked.

Per Seat (original: a license per user, enterprise-wide, allocated on first use). The rule of stable
allocation, the same in the service (in memory, :class:`PerSeatAllocator`) and in the store (after an
administrator's change, ``applet.store.seats``), both through :func:`settle`:

    *Holders.* A user who belongs to no license group holds one license. A license group holds its
    number of licenses once, for all of its members (a group with no licenses covers nobody, so its
    members hold licenses of their own). Holders are ranked by *first use*: a user by their first use of
    the product, a group by its earliest member's.

    *A licensed holder stays licensed.* It loses its licenses only when it is deleted (its last user is
    deleted or revoked), when its group changes (a group whose number of licenses changes, or which is
    removed, waits again with its members; a user who leaves a group waits as a holder of their own; a
    user who joins one gives up their own license and shares the group's state), or when licenses are
    removed: then, while more licenses are allocated than purchased, the holder licensed most recently
    gives its licenses back first (one that fits again once an older, larger one has gone keeps them).
    Nothing else (a purchase, another holder's deletion, a restart of the service) takes a license
    from anyone.

    *Free licenses go to waiting holders in order of first use.* Whatever is free after a change
    (licenses freed, bought, or left over by a removal) goes to the waiting holders, earliest first use
    first, to each one that fits in what is left; a group that needs more than is free waits and does not
    block the single users behind it. So no license stays free while a waiting holder fits.

    *Allocated never exceeds purchased.* The users of a waiting holder are unlicensed: their usage is
    recorded and warned (events 201 and 221), never refused. Event 221 states the licenses *needed* (every
    holder's, licensed or waiting) against the licenses *purchased*; whenever a holder waits, needed is
    more than purchased, because the waiting holder did not fit in what was free.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServerDecision:
    """The outcome of one Per Server request."""

    granted: bool
    new_client: bool
    in_use: int
    limit: int

    @property
    def over_limit(self) -> bool:
        """True when the grant took usage above the licensed limit (an administrator)."""
        return self.in_use > self.limit


class PerServerCounter:
    """Concurrent clients of one Per Server product."""

    def __init__(self, limit: int, peak: int = 0) -> None:
        self.limit = limit
        self.peak = peak
        self._connections: dict[str, int] = {}

    @property
    def in_use(self) -> int:
        """Distinct clients currently connected."""
        return len(self._connections)

    def connections_of(self, client: str) -> int:
        """Open connections of ``client`` (0 when not connected)."""
        return self._connections.get(client, 0)

    def request(self, client: str, is_admin: bool = False) -> ServerDecision:
        """Admit a connection from ``client`` or deny it at the limit."""
        if client in self._connections:
            self._connections[client] += 1
            return ServerDecision(True, False, self.in_use, self.limit)
        if self.in_use >= self.limit and not is_admin:
            return ServerDecision(False, False, self.in_use, self.limit)
        self._connections[client] = 1
        self.peak = max(self.peak, self.in_use)
        return ServerDecision(True, True, self.in_use, self.limit)

    def release(self, client: str) -> bool:
        """Close one connection of ``client``; True when that was its last one."""
        count = self._connections.get(client, 0)
        if count <= 1:
            self._connections.pop(client, None)
            return count == 1
        self._connections[client] = count - 1
        return False


@dataclass(frozen=True)
class SeatDecision:
    """The outcome of one Per Seat use."""

    licensed: bool
    first_use: bool
    holder: str
    units: int
    licensed_order: int | None


@dataclass(slots=True)
class SeatHolder:
    """One holder of Per Seat licenses: a user, or a license group for all of its members.

    ``first_use`` ranks holders by first use (smaller is earlier); ``licensed_order`` ranks licensed
    holders by when they were licensed (smaller is earlier) and is None while the holder waits.
    """

    key: str
    units: int
    first_use: int
    licensed_order: int | None = None
    users: set[str] = field(default_factory=set)

    @property
    def licensed(self) -> bool:
        """Whether the holder's licenses are allocated."""
        return self.licensed_order is not None


def settle(holders: Iterable[SeatHolder], purchased: int, next_order: int) -> int:
    """Apply the rule (module docstring) to ``holders`` in place; returns the next licensing order.

    First, while more licenses are allocated than purchased, the most recently licensed holder gives its
    licenses back; then the free licenses go to the waiting holders in order of first use, each that
    fits. A holder that is licensed and within the purchase is never touched.
    """
    ordered = sorted(holders, key=lambda holder: holder.first_use)
    allocated = sum(holder.units for holder in ordered if holder.licensed)
    given_back: dict[int, int] = {}  # id(holder) -> its licensing order, for holders demoted just now
    if allocated > purchased:
        newest_first = sorted(
            (holder for holder in ordered if holder.licensed),
            key=lambda holder: (holder.licensed_order, holder.first_use),
            reverse=True,
        )
        for holder in newest_first:
            if allocated <= purchased:
                break
            assert holder.licensed_order is not None
            given_back[id(holder)] = holder.licensed_order
            holder.licensed_order = None
            allocated -= holder.units
    free = purchased - allocated
    for holder in ordered:
        if free <= 0:
            break
        if not holder.licensed and holder.units <= free:
            # A holder that gave its licenses back in this same step and fits again (an older, larger
            # holder had to go too) simply keeps them, with its rank.
            order = given_back.get(id(holder))
            if order is None:
                order = next_order
                next_order += 1
            holder.licensed_order = order
            free -= holder.units
    return next_order


GROUP_PREFIX = "group:"


class PerSeatAllocator:
    """Per Seat licenses of one product: who holds one, who waits (see the module docstring).

    A *holder* is a user, or a license group (key ``group:NAME``) standing for all of its members.
    The totals are kept as they change, so a first use costs O(1) however many users there are (the
    service restores every user at start-up); a purchase change, a freed license or a group change
    settles all holders.
    """

    def __init__(
        self,
        purchased: int,
        groups: Mapping[str, int] | None = None,
        membership: Mapping[str, str] | None = None,
    ) -> None:
        self._purchased = purchased
        self._group_licenses: dict[str, int] = dict(groups or {})
        self._group_of: dict[str, str] = dict(membership or {})
        self._holders: dict[str, SeatHolder] = {}
        self._first_use: dict[str, int] = {}
        self._key_of: dict[str, str] = {}
        self._next_first_use = 0
        self._next_order = 1
        self._allocated = 0
        self._needed = 0
        self._unlicensed_users = 0

    @classmethod
    def restore(
        cls,
        purchased: int,
        seats: Iterable[tuple[str, int | None]],
        groups: Mapping[str, int] | None = None,
        membership: Mapping[str, str] | None = None,
    ) -> "PerSeatAllocator":
        """The allocation the store recorded: ``(user, licensed order or None)`` in order of first use.

        Nothing is re-decided from scratch (that would demote licensed holders); the rule only settles
        what the record leaves open (a holder whose rows disagree waits, licenses left free are given).
        """
        allocator = cls(purchased, groups, membership)
        decided: dict[str, int | None] = {}
        for user, order in seats:
            holder, _created = allocator._attach(user)
            if holder.key not in decided:
                decided[holder.key] = order
            elif decided[holder.key] != order:
                decided[holder.key] = None
            if order is not None:
                allocator._next_order = max(allocator._next_order, order + 1)
        for key, order in decided.items():
            allocator._holders[key].licensed_order = order
        allocator._settle()
        return allocator

    @property
    def purchased(self) -> int:
        """Per Seat licenses bought for this product."""
        return self._purchased

    @property
    def allocated(self) -> int:
        """Licenses consumed by licensed holders."""
        return self._allocated

    @property
    def needed(self) -> int:
        """Licenses every holder needs, licensed or waiting (event 221 compares it with purchased)."""
        return self._needed

    @property
    def unlicensed_users(self) -> int:
        """Users whose usage is not covered by a license."""
        return self._unlicensed_users

    @property
    def users(self) -> int:
        """Distinct users seen."""
        return len(self._first_use)

    @property
    def holders(self) -> list[SeatHolder]:
        """Every holder, in order of first use."""
        return sorted(self._holders.values(), key=lambda holder: holder.first_use)

    def holder_for(self, user: str) -> str:
        """The key that holds ``user``'s license: the user, or the user's license group."""
        group = self._group_of.get(user) if self._group_of else None
        if group is not None and self._group_licenses.get(group, 0) > 0:
            return GROUP_PREFIX + group
        return user

    def is_licensed(self, user: str) -> bool | None:
        """Whether ``user`` is licensed; None when never seen."""
        key = self._key_of.get(user)
        return None if key is None else self._holders[key].licensed

    def use(self, user: str) -> SeatDecision:
        """Record one use by ``user``: a new holder gets its licenses if they fit, never refused."""
        first_use = user not in self._key_of
        if first_use:
            holder, created = self._attach(user)
            if created and holder.units <= self.free:
                # Every earlier waiting holder needs more than is free (the rule's invariant), so a
                # new holder that fits is next in line.
                self._license(holder)
        else:
            holder = self._holders[self._key_of[user]]
        return SeatDecision(holder.licensed, first_use, holder.key, holder.units, holder.licensed_order)

    @property
    def free(self) -> int:
        """Purchased licenses not allocated."""
        return max(0, self._purchased - self._allocated)

    def delete(self, user: str) -> bool:
        """Forget ``user``; a holder left without users frees its licenses. True if known."""
        if user not in self._key_of:
            return False
        freed = self._detach(user)
        del self._first_use[user]
        if freed:
            self._settle()
        return True

    def set_purchased(self, purchased: int) -> None:
        """Apply a purchase or a removal (see the rule)."""
        self._purchased = purchased
        self._settle()

    def set_group(self, user: str, group: str | None) -> None:
        """Move ``user`` into ``group`` (None: out of any group); the holders concerned wait again."""
        if group is None:
            self._group_of.pop(user, None)
        else:
            self._group_of[user] = group
        if user in self._key_of and self._key_of[user] != self.holder_for(user):
            self._reattach([user])

    def set_group_licenses(self, group: str, licenses: int | None) -> None:
        """Change a group's number of licenses (None: remove the group); its holder waits again."""
        before = self._group_licenses.get(group)
        if before == licenses:
            return
        members = [user for user, name in self._group_of.items() if name == group]
        if licenses is None:
            self._group_licenses.pop(group, None)
            for user in members:
                del self._group_of[user]
        else:
            self._group_licenses[group] = licenses
        if before or licenses:  # a group without licenses before and after never held any
            self._reattach([user for user in members if user in self._key_of])

    # ------------------------------------------------------------------ bookkeeping

    def _units(self, key: str) -> int:
        return self._group_licenses.get(key[len(GROUP_PREFIX) :], 1) if key.startswith(GROUP_PREFIX) else 1

    def _attach(self, user: str) -> tuple[SeatHolder, bool]:
        """Put ``user`` in the holder the groups say; True when that holder is new (and waits)."""
        rank = self._first_use.get(user)
        if rank is None:
            rank = self._first_use[user] = self._next_first_use
            self._next_first_use += 1
        key = self.holder_for(user)
        holder = self._holders.get(key)
        created = holder is None
        if holder is None:
            holder = SeatHolder(key, self._units(key), rank, users={user})
            self._holders[key] = holder
            self._needed += holder.units
        else:
            holder.first_use = min(holder.first_use, rank)
            holder.users.add(user)
        self._key_of[user] = key
        self._unlicensed_users += 0 if holder.licensed else 1
        return holder, created

    def _detach(self, user: str) -> bool:
        """Take ``user`` out of its holder; True when that freed licenses."""
        key = self._key_of.pop(user)
        holder = self._holders[key]
        holder.users.discard(user)
        self._unlicensed_users -= 0 if holder.licensed else 1
        if holder.users:
            if holder.first_use == self._first_use[user]:
                holder.first_use = min(self._first_use[other] for other in holder.users)
            return False
        del self._holders[key]
        self._needed -= holder.units
        if holder.licensed:
            self._allocated -= holder.units
            return True
        return False

    def _reattach(self, users: list[str]) -> None:
        for user in users:
            self._detach(user)
        for user in users:
            self._attach(user)
        self._settle()

    def _license(self, holder: SeatHolder) -> None:
        holder.licensed_order = self._next_order
        self._next_order += 1
        self._allocated += holder.units
        self._unlicensed_users -= len(holder.users)

    def _settle(self) -> None:
        self._next_order = settle(self._holders.values(), self._purchased, self._next_order)
        self._allocated = sum(h.units for h in self._holders.values() if h.licensed)
        self._unlicensed_users = sum(len(h.users) for h in self._holders.values() if not h.licensed)
