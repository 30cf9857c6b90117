"""Replication settings (Configure Replication) and the servers of the enterprise view."""

import re
from dataclasses import replace
from typing import Any

from applet.domain.errors import InvalidInput
from applet.domain.replication import parse_master_address
from applet.store.database import utc_now
from applet.store.products import ConcurrentChange
from applet.store.records import ReplicationSettings, ServerRecord
from applet.store.repository import Repository

MASTERS = ("domain-controller", "enterprise-server")
FREQUENCIES = ("start-at", "every")
MAX_EVERY_HOURS = 72
# Start Every in seconds (the original's ReplicationTime, ``lls replication set --every-seconds``); any
# other change of the settings (the dialog's hours) drops it.
SETTING_EVERY_SECONDS = "replication.every_seconds"
# Domain Controller mode (applet/store/master_lookup.py): the domain whose SRV record names the master
# (``--domain``; unset: this machine's DNS domain), and the domain's master named in configuration, which
# comes before any DNS lookup. Changing the master or frequency keeps both.
SETTING_DOMAIN = "replication.domain"
SETTING_DOMAIN_MASTER = "replication.domain_master"
# The revision of the replication settings (:attr:`ReplicationSettings.revision`), kept among the
# settings so no migration is needed: absent means 1, the settings as created.
SETTING_REVISION = "replication.revision"
# The CA certificate that a master off loopback is checked against (``lls replication set --ca-file``).
SETTING_CA_FILE = "replication.ca_file"
# The configuration file's [replication] keys that are settings of the store (the others are the fields
# of ReplicationSettings): what :meth:`ReplicationRepository.apply_configured` writes.
CONFIGURED_SETTINGS = {
    "ca_file": SETTING_CA_FILE,
    "domain": SETTING_DOMAIN,
    "domain_master": SETTING_DOMAIN_MASTER,
}


_REVISION = f"COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '{SETTING_REVISION}'), 1)"


def validate_replication(settings: ReplicationSettings) -> ReplicationSettings:
    """Check and normalise replication settings; raise :class:`InvalidInput` when they are wrong."""
    if settings.master not in MASTERS:
        raise InvalidInput(f"master server must be one of {', '.join(MASTERS)}")
    if settings.frequency not in FREQUENCIES:
        raise InvalidInput(f"replication frequency must be one of {', '.join(FREQUENCIES)}")
    server = ""
    if settings.master == "enterprise-server":
        server = str(parse_master_address(settings.enterprise_server))
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", settings.start_at.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InvalidInput(f"start time must be HH:MM (00:00 to 23:59), not {settings.start_at!r}")
    start_at = f"{int(match.group(1)):02d}:{match.group(2)}"
    if isinstance(settings.every_hours, bool) or not isinstance(settings.every_hours, int):
        raise InvalidInput("replication interval must be a whole number of hours")
    if not 1 <= settings.every_hours <= MAX_EVERY_HOURS:
        raise InvalidInput(
            f"replication interval must be 1 to {MAX_EVERY_HOURS} hours, not {settings.every_hours}"
        )
    return ReplicationSettings(settings.master, server, settings.frequency, start_at, settings.every_hours)


def _schedule(settings: ReplicationSettings) -> tuple[str, str, str, str, int]:
    """The settings without who changed them and when."""
    return (
        settings.master,
        settings.enterprise_server,
        settings.frequency,
        settings.start_at,
        settings.every_hours,
    )


class ReplicationRepository(Repository):
    """The single-row ``replication`` table and the ``servers`` table."""

    def get(self) -> ReplicationSettings:
        """The current settings (a fresh store: domain controller, every 24 hours)."""
        with self.db.errors():
            row = self.connection.execute(
                "SELECT master, enterprise_server, frequency, start_at, every_hours, changed, administrator, "
                f"{_REVISION} FROM replication WHERE id = 1"
            ).fetchone()
        return ReplicationSettings(*row)

    def set(
        self, settings: ReplicationSettings, administrator: str, expected_revision: int | None = None
    ) -> ReplicationSettings:
        """Validate and store new settings. With ``expected_revision`` (the revision the caller read),
        raise :class:`ConcurrentChange` and write nothing when someone changed them since."""
        clean = validate_replication(settings)
        with self.db.transaction() as connection:
            revision = int(connection.execute(f"SELECT {_REVISION}").fetchone()[0])
            if expected_revision is not None and expected_revision != revision:
                raise ConcurrentChange(
                    f"the replication settings were changed by someone else since they were read "
                    f"(revision {expected_revision}, now {revision}); nothing was written"
                )
            connection.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (SETTING_REVISION, str(revision + 1)),
            )
            connection.execute(
                "UPDATE replication SET master = ?, enterprise_server = ?, frequency = ?, start_at = ?, "
                "every_hours = ?, changed = ?, administrator = ? WHERE id = 1",
                (
                    clean.master,
                    clean.enterprise_server,
                    clean.frequency,
                    clean.start_at,
                    clean.every_hours,
                    utc_now(),
                    administrator,
                ),
            )
            connection.execute("DELETE FROM settings WHERE key = ?", (SETTING_EVERY_SECONDS,))
            self.audit(
                connection, administrator, "replication", None, repr(replace(clean, revision=revision + 1))
            )
            self.bump_configuration(connection)
        return self.get()

    def apply_configured(self, configured: dict[str, Any], source: str) -> bool:
        """Make the store's settings what the configuration file ``source`` says (its ``[replication]``
        keys named as :class:`ReplicationSettings`' fields, and :data:`CONFIGURED_SETTINGS`); the keys it
        does not set
        keep the store's values. Recorded as a change by ``source`` only when something differs.
        Returns True when something changed. Raises :class:`InvalidInput` for settings that do not go
        together (an enterprise server named nowhere)."""
        current = self.get()
        fields = {name: value for name, value in configured.items() if name not in CONFIGURED_SETTINGS}
        if fields.get("enterprise_server") and "master" not in fields:
            fields["master"] = "enterprise-server"
        if "every_hours" in fields and "frequency" not in fields:
            fields["frequency"] = "every"
        if "start_at" in fields and "frequency" not in fields:
            fields["frequency"] = "start-at"
        wanted = validate_replication(replace(current, **fields))
        changed = False
        if _schedule(wanted) != _schedule(current):
            self.set(wanted, source)
            changed = True
        for name, key in CONFIGURED_SETTINGS.items():
            value = configured.get(name)
            if value is None:
                continue
            with self.db.transaction() as connection:
                row = connection.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
                if row is None or row[0] != str(value):
                    connection.execute(
                        "INSERT INTO settings (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, str(value)),
                    )
                    self.audit(connection, source, "replication", None, f"{name}={value}")
                    self.bump_configuration(connection)
                    changed = True
        return changed

    def servers(self) -> list[ServerRecord]:
        """Known servers, the local one first."""
        with self.db.errors():
            rows = self.connection.execute(
                "SELECT id, name, site, is_local, last_seen FROM servers ORDER BY is_local DESC, name"
            ).fetchall()
        return [ServerRecord(row[0], row[1], row[2], bool(row[3]), row[4]) for row in rows]
