"""Usage counting: Per Server concurrent connections and Per Seat first-use allocation.

Both counters are pure state machines; the service drives them from license requests and observed
sessions, and the store persists what they decide.

Per Server (original: concurrent connections per product on this server):
    * a connection is counted per *client* (host); several connections from one client count once;
    * at the limit a request is denied, except for administrators, who are always admitted and still
      counted, so usage can exceed the limit;
    * the highest concurrent count reached is tracked.

Per Seat (original: a license per user, enterprise-wide, allocated on first use):
    * each distinct user consumes one license on first use; a license group maps its members to the
      group's number of licenses, consumed once for the whole group;
    * beyond the purchased number, usage is recorded as unlicensed, never refused;
    * deleting a client frees its licenses, which go to waiting unlicensed clients, oldest first.
"""

from collections.abc import Mapping
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


@dataclass
class _Holder:
    units: int
    licensed: bool
    order: int
    users: set[str] = field(default_factory=set)


GROUP_PREFIX = "group:"


class PerSeatAllocator:
    """Per Seat licenses of one product: who holds one, who is unlicensed.

    A *holder* is a user, or a license group (key ``group:NAME``) standing for all of its members.
    Invariant: ``allocated <= purchased`` always; anything that does not fit is unlicensed.

    The totals are kept as they change, so a first use costs O(1) however many users there are (the
    service replays every user at start-up); only a purchase change or a freed holder re-decides all.
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
        self._holders: dict[str, _Holder] = {}
        self._next_order = 0
        self._allocated = 0
        self._users = 0
        self._unlicensed_users = 0

    @property
    def purchased(self) -> int:
        """Per Seat licenses bought for this product."""
        return self._purchased

    @property
    def allocated(self) -> int:
        """Licenses consumed by licensed holders."""
        return self._allocated

    @property
    def unlicensed_users(self) -> int:
        """Users whose usage is not covered by a license."""
        return self._unlicensed_users

    @property
    def users(self) -> int:
        """Distinct users seen."""
        return self._users

    def holder_for(self, user: str) -> str:
        """The key that holds ``user``'s license: the user, or the user's license group."""
        group = self._group_of.get(user)
        return GROUP_PREFIX + group if group is not None else user

    def is_licensed(self, user: str) -> bool | None:
        """Whether ``user`` is licensed; None when never seen."""
        holder = self._holders.get(self.holder_for(user))
        if holder is None or user not in holder.users:
            return None
        return holder.licensed

    def use(self, user: str) -> SeatDecision:
        """Record one use by ``user``: allocate on first use, never refuse."""
        key = self.holder_for(user)
        holder = self._holders.get(key)
        if holder is None:
            units = self._group_licenses.get(key[len(GROUP_PREFIX) :], 1) if key != user else 1
            licensed = self._allocated + units <= self._purchased
            holder = _Holder(units=units, licensed=licensed, order=self._next_order)
            self._next_order += 1
            self._holders[key] = holder
            self._allocated += units if licensed else 0
        first_use = user not in holder.users
        if first_use:
            holder.users.add(user)
            self._users += 1
            self._unlicensed_users += 0 if holder.licensed else 1
        return SeatDecision(holder.licensed, first_use, key, holder.units)

    def delete(self, user: str) -> bool:
        """Forget ``user``; frees the holder's licenses when it was the last user. True if known."""
        key = self.holder_for(user)
        holder = self._holders.get(key)
        if holder is None or user not in holder.users:
            return False
        holder.users.discard(user)
        self._users -= 1
        self._unlicensed_users -= 0 if holder.licensed else 1
        if not holder.users:
            del self._holders[key]
            self._allocated -= holder.units if holder.licensed else 0
            self._rebalance()
        return True

    def set_purchased(self, purchased: int) -> None:
        """Apply a purchase or removal: promote or demote holders, oldest first keep their licenses."""
        self._purchased = purchased
        self._rebalance()

    def _rebalance(self) -> None:
        # Oldest holders keep (or get) licenses first: a removal demotes the newest, an addition
        # promotes the longest-waiting unlicensed holder.
        holders = sorted(self._holders.values(), key=lambda h: h.order)
        for holder, licensed in zip(
            holders, allocate_in_order([h.units for h in holders], self._purchased), strict=True
        ):
            holder.licensed = licensed
        self._allocated = sum(h.units for h in holders if h.licensed)
        self._unlicensed_users = sum(len(h.users) for h in holders if not h.licensed)


def allocate_in_order(units: list[int], purchased: int) -> list[bool]:
    """Which holders (oldest first, each needing ``units[i]`` licenses) fit in ``purchased``.

    Greedy in age order: the oldest holders keep their licenses; a later holder that needs fewer
    licenses can still fit after an earlier one that did not.
    """
    budget = purchased
    licensed: list[bool] = []
    for need in units:
        fits = need <= budget
        if fits:
            budget -= need
        licensed.append(fits)
    return licensed
