"""The store: one SQLite file, opened and migrated, with a repository per family of tables.

Usage::

    with Store.open(data_dir) as store:
        store.products.add("SQL Server", administrator=current_administrator())
        store.ledger.add("SQL Server", 10, administrator=..., agreed=True)
"""

import os
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from applet.domain.errors import InvalidInput
from applet.domain.events import EventId
from applet.store.database import DEFAULT_BUSY_TIMEOUT, Database, configured_busy_timeout
from applet.store.paths import DataPaths, resolve_paths
from applet.store.repository import Repository
from applet.store.schema import MIGRATIONS

if TYPE_CHECKING:
    from applet.store.clients import ClientRepository
    from applet.store.events import EventRepository
    from applet.store.groups import GroupRepository
    from applet.store.ledger import LedgerRepository
    from applet.store.products import ProductRepository
    from applet.store.replication import ReplicationRepository
    from applet.store.usage import UsageRepository

ResetTarget = Literal["usage", "groups", "history", "all"]
RESET_TARGETS: tuple[str, ...] = ("usage", "groups", "history", "all")


class Store:
    """An open store. Not thread-safe: give each thread its own :meth:`open`."""

    def __init__(self, paths: DataPaths, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.paths = paths
        self.db = Database(paths, busy_timeout)
        try:
            self.db.migrate(MIGRATIONS)
        except BaseException:
            self.db.close()
            raise
        self._base = Repository(self.db)

    # The repositories are imported on first use: a one-shot CLI command (``lls product list``)
    # then loads only the modules it needs, which keeps its start-up close to bare Python's.

    @cached_property
    def products(self) -> "ProductRepository":
        """Registered products, modes, observation settings, peaks."""
        from applet.store.products import ProductRepository

        return ProductRepository(self.db)

    @cached_property
    def ledger(self) -> "LedgerRepository":
        """The purchase ledger."""
        from applet.store.ledger import LedgerRepository

        return LedgerRepository(self.db)

    @cached_property
    def clients(self) -> "ClientRepository":
        """Per Seat clients and their usage."""
        from applet.store.clients import ClientRepository

        return ClientRepository(self.db)

    @cached_property
    def groups(self) -> "GroupRepository":
        """License groups."""
        from applet.store.groups import GroupRepository

        return GroupRepository(self.db)

    @cached_property
    def events(self) -> "EventRepository":
        """The event log."""
        from applet.store.events import EventRepository

        return EventRepository(self.db)

    @cached_property
    def usage(self) -> "UsageRepository":
        """Per-minute usage samples and the Products View summary."""
        from applet.store.usage import UsageRepository

        return UsageRepository(self.db)

    @cached_property
    def replication(self) -> "ReplicationRepository":
        """Replication settings and known servers."""
        from applet.store.replication import ReplicationRepository

        return ReplicationRepository(self.db)

    @classmethod
    def open(
        cls, data_dir: str | os.PathLike[str] | None = None, busy_timeout: float | None = None
    ) -> "Store":
        """Open (creating and migrating if needed) the store of ``data_dir`` (see ``resolve_paths``).

        ``busy_timeout`` (seconds a writer waits for another's lock) defaults to ``$LLS_BUSY_TIMEOUT``,
        else 5 s.
        """
        if busy_timeout is None:
            busy_timeout = configured_busy_timeout()
        return cls(resolve_paths(data_dir), busy_timeout)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def config_revision(self) -> int:
        """A counter every configuration change raises: poll it to notice changes cheaply."""
        with self.db.errors():
            row = self.db.connection.execute(
                "SELECT value FROM settings WHERE key = 'config_revision'"
            ).fetchone()
        return int(row[0])

    def setting(self, key: str, default: str | None = None) -> str | None:
        """A value of the ``settings`` table."""
        with self.db.errors():
            row = self.db.connection.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Store a value in the ``settings`` table."""
        with self.db.transaction() as connection:
            connection.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def audit_trail(self, limit: int = 100) -> list[tuple[str, str, str, str | None, str]]:
        """The newest administrative changes: (time, administrator, action, product, detail)."""
        with self.db.errors():
            return self.db.connection.execute(
                "SELECT time, administrator, action, product, detail FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()

    def reset(self, target: str, administrator: str) -> None:
        """The original's reset procedures: usage (llsuser.lls), groups (llsmap.lls), history (cpl.cfg).

        ``all`` resets the three. Configuration (products, modes) and the event log are kept, and so are
        the entitlements: a history reset carries each product's balance forward
        (:func:`applet.store.ledger.carry_forward_balances`), so every limit and total is unchanged.

        Raises:
            InvalidInput: ``history`` or ``groups`` with nothing to reset (nothing is written).
        """
        if target not in RESET_TARGETS:
            raise InvalidInput(f"reset what? one of {', '.join(RESET_TARGETS)}")
        with self.db.transaction() as connection:
            if target in ("usage", "all"):
                connection.execute("DELETE FROM seat_clients")
                connection.execute("DELETE FROM usage_samples")
                connection.execute("DELETE FROM servers WHERE is_local = 0")
                self.products.reset_peaks(connection)
            if (
                target == "groups"
                and connection.execute("SELECT 1 FROM license_groups LIMIT 1").fetchone() is None
            ):
                raise InvalidInput("nothing to reset: there are no license groups")
            if target in ("groups", "all"):
                from applet.store.seats import wait_again

                wait_again(connection, "group_id IN (SELECT id FROM license_groups WHERE licenses > 0)", ())
                connection.execute("UPDATE seat_clients SET group_id = NULL")
                connection.execute("DELETE FROM group_members")
                connection.execute("DELETE FROM license_groups")
            if target in ("history", "all"):
                from applet.store.ledger import carry_forward_balances

                # Entitlements are kept: each product's lines of a mode become one balance line.
                if not carry_forward_balances(connection, administrator) and target == "history":
                    raise InvalidInput(
                        "nothing to reset: the purchase history is empty or only balances carried forward"
                    )
            if target in ("groups", "history"):
                from applet.store.seats import per_seat_products, rebalance_seats

                for product_id in per_seat_products(connection):
                    rebalance_seats(connection, product_id)
            self._base.audit(connection, administrator, "reset", None, target)
            self._base.log_event(connection, EventId.USAGE_RESET, [target, administrator], None)
            self._base.bump_configuration(connection)
            connection.execute("UPDATE products SET revision = revision + 1")
