"""License groups: many users sharing a number of Per Seat licenses (the original's llsmap.lls)."""

import sqlite3
from collections.abc import Iterable

from applet.domain.errors import InvalidInput
from applet.domain.validation import clean_name, clean_optional_text, parse_quantity
from applet.store.database import utc_now
from applet.store.records import LicenseGroupRecord
from applet.store.repository import Repository
from applet.store.seats import per_seat_products, rebalance_seats, wait_again


class GroupRepository(Repository):
    """The ``license_groups`` and ``group_members`` tables."""

    def list(self) -> list[LicenseGroupRecord]:
        """All groups with their members, by name."""
        with self.db.errors():
            groups = self.connection.execute(
                "SELECT id, name, description, licenses, created FROM license_groups ORDER BY name"
            ).fetchall()
            members: dict[int, list[str]] = {}
            for group_id, user in self.connection.execute(
                "SELECT group_id, user FROM group_members ORDER BY user"
            ):
                members.setdefault(group_id, []).append(user)
        return [
            LicenseGroupRecord(row[0], row[1], row[2], row[3], tuple(members.get(row[0], [])), row[4])
            for row in groups
        ]

    def get(self, name: str) -> LicenseGroupRecord:
        """One group by name, or :class:`InvalidInput`."""
        for group in self.list():
            if group.name.casefold() == name.strip().casefold():
                return group
        raise InvalidInput(f"unknown license group: {name!r}")

    def add(
        self, name: object, licenses: object, administrator: str, description: object = ""
    ) -> LicenseGroupRecord:
        """Create a group."""
        group_name = clean_name(name, "group name")
        count = parse_quantity(licenses, "number of licenses", allow_zero=True)
        text = clean_optional_text(description, "description", 512)
        with self.db.transaction() as connection:
            if connection.execute("SELECT 1 FROM license_groups WHERE name = ?", (group_name,)).fetchone():
                raise InvalidInput(f"license group {group_name!r} already exists")
            connection.execute(
                "INSERT INTO license_groups (name, description, licenses, created) VALUES (?, ?, ?, ?)",
                (group_name, text, count, utc_now()),
            )
            self.audit(connection, administrator, "group add", None, f"{group_name} licenses={count}")
            self.bump_configuration(connection)
        return self.get(group_name)

    def update(
        self,
        name: str,
        administrator: str,
        new_name: object | None = None,
        licenses: object | None = None,
        description: object | None = None,
    ) -> LicenseGroupRecord:
        """Rename a group or change its licenses or description."""
        with self.db.transaction() as connection:
            group_id = self._group_id(connection, name)
            target = name
            if new_name is not None:
                target = clean_name(new_name, "group name")
                clash = connection.execute(
                    "SELECT id FROM license_groups WHERE name = ? AND id <> ?", (target, group_id)
                ).fetchone()
                if clash:
                    raise InvalidInput(f"license group {target!r} already exists")
                connection.execute("UPDATE license_groups SET name = ? WHERE id = ?", (target, group_id))
            if licenses is not None:
                count = parse_quantity(licenses, "number of licenses", allow_zero=True)
                if count == 0 and self._has_members(connection, group_id):
                    raise InvalidInput(
                        f"license group {target!r} has members: with no licenses they would hold none"
                        " (remove its members first)"
                    )
                if count != self._licenses(connection, group_id):
                    # The group changed: its holders wait, the rule re-decides (applet.domain.counting).
                    wait_again(connection, "group_id = ?", (group_id,))
                connection.execute("UPDATE license_groups SET licenses = ? WHERE id = ?", (count, group_id))
            if description is not None:
                text = clean_optional_text(description, "description", 512)
                connection.execute("UPDATE license_groups SET description = ? WHERE id = ?", (text, group_id))
            self._rebalance_all(connection)
            self.audit(connection, administrator, "group edit", None, str(target))
            self.bump_configuration(connection)
        return self.get(str(target))

    def remove(self, name: str, administrator: str) -> None:
        """Delete a group; its members go back to individual licenses."""
        with self.db.transaction() as connection:
            group_id = self._group_id(connection, name)
            if self._licenses(connection, group_id):
                wait_again(connection, "group_id = ?", (group_id,))
            connection.execute("UPDATE seat_clients SET group_id = NULL WHERE group_id = ?", (group_id,))
            connection.execute("DELETE FROM license_groups WHERE id = ?", (group_id,))
            self._rebalance_all(connection)
            self.audit(connection, administrator, "group remove", None, name)
            self.bump_configuration(connection)

    def add_members(self, name: str, users: Iterable[object], administrator: str) -> LicenseGroupRecord:
        """Put users in the group (a user belongs to at most one group)."""
        names = [clean_name(user, "user name") for user in users]
        if not names:
            raise InvalidInput("name at least one user")
        with self.db.transaction() as connection:
            group_id = self._group_id(connection, name)
            if not self._licenses(connection, group_id):
                raise InvalidInput(
                    f"license group {name!r} has no licenses: its members would hold none"
                    " (give it licenses first)"
                )
            for user in names:
                other = connection.execute(
                    "SELECT g.name FROM group_members m JOIN license_groups g ON g.id = m.group_id "
                    "WHERE m.user = ? AND m.group_id <> ?",
                    (user, group_id),
                ).fetchone()
                if other:
                    raise InvalidInput(f"user {user!r} is already a member of license group {other[0]!r}")
                joined = connection.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, user) VALUES (?, ?)", (group_id, user)
                ).rowcount
                if joined and self._licenses(connection, group_id):
                    # The user's own licenses are given up; on each product the user now shares the
                    # group's state (licensed, or waiting when no member used that product yet).
                    connection.execute(
                        "UPDATE seat_clients SET licensed_order = ("
                        " SELECT s.licensed_order FROM seat_clients s"
                        " WHERE s.product_id = seat_clients.product_id AND s.group_id = ?"
                        " ORDER BY s.id LIMIT 1) WHERE user = ?",
                        (group_id, user),
                    )
                    connection.execute(
                        "UPDATE seat_clients SET licensed = licensed_order IS NOT NULL WHERE user = ?",
                        (user,),
                    )
                connection.execute("UPDATE seat_clients SET group_id = ? WHERE user = ?", (group_id, user))
            self._rebalance_all(connection)
            self.audit(connection, administrator, "group members add", None, f"{name}: {', '.join(names)}")
            self.bump_configuration(connection)
        return self.get(name)

    def remove_members(self, name: str, users: Iterable[object], administrator: str) -> LicenseGroupRecord:
        """Take users out of the group."""
        names = [clean_name(user, "user name") for user in users]
        if not names:
            raise InvalidInput("name at least one user")
        with self.db.transaction() as connection:
            group_id = self._group_id(connection, name)
            for user in names:
                deleted = connection.execute(
                    "DELETE FROM group_members WHERE group_id = ? AND user = ?", (group_id, user)
                ).rowcount
                if not deleted:
                    raise InvalidInput(f"user {user!r} is not a member of license group {name!r}")
                if self._licenses(connection, group_id):
                    wait_again(connection, "user = ? AND group_id = ?", (user, group_id))
                connection.execute(
                    "UPDATE seat_clients SET group_id = NULL WHERE user = ? AND group_id = ?",
                    (user, group_id),
                )
            self._rebalance_all(connection)
            self.audit(connection, administrator, "group members remove", None, f"{name}: {', '.join(names)}")
            self.bump_configuration(connection)
        return self.get(name)

    @staticmethod
    def _group_id(connection: sqlite3.Connection, name: str) -> int:
        row = connection.execute("SELECT id FROM license_groups WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            raise InvalidInput(f"unknown license group: {name!r}")
        return int(row[0])

    @staticmethod
    def _has_members(connection: sqlite3.Connection, group_id: int) -> bool:
        found = connection.execute("SELECT 1 FROM group_members WHERE group_id = ? LIMIT 1", (group_id,))
        return found.fetchone() is not None

    @staticmethod
    def _licenses(connection: sqlite3.Connection, group_id: int) -> int:
        return int(
            connection.execute("SELECT licenses FROM license_groups WHERE id = ?", (group_id,)).fetchone()[0]
        )

    @staticmethod
    def _rebalance_all(connection: sqlite3.Connection) -> None:
        for product_id in per_seat_products(connection):
            rebalance_seats(connection, product_id)
