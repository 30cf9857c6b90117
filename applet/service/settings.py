"""The service's tunables: where it listens, lease timing, event throttling, batching.

Precedence: a command-line flag > the configuration file (``licensing.toml``, :mod:`applet.store.config`)
> a value in the store's ``settings`` table (keys below) > the default.
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from applet.domain.errors import InvalidInput
from applet.domain.events import ViolationThrottle
from applet.domain.replication import DEFAULT_SERVICE_PORT, RETRY_INTERVAL_SECONDS, is_loopback
from applet.service.leases import DEFAULT_MAX_PER_HOLDER, DEFAULT_MAX_TOTAL, LeaseCaps
from applet.store.config import MAX_SECONDS, Configuration

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = DEFAULT_SERVICE_PORT
DEFAULT_HEARTBEAT = 60.0
EXPIRY_FACTOR = 2.0
# The longest time any setting in seconds may take.
MAX_LEASE_SECONDS = MAX_SECONDS
# The longest lease a caller may ask for by default (``lease_seconds``, e.g. ``lls request --lease``).
DEFAULT_MAX_LEASE_SECONDS = 24 * 3600.0
# A connection must send a complete request header within this time (and may idle this long).
DEFAULT_HEADER_TIMEOUT = 10.0

# Keys in the store's settings table that the service reads at start.
SETTING_HEARTBEAT = "service.heartbeat_seconds"
SETTING_EXPIRY = "service.expiry_seconds"
SETTING_VIOLATION_INTERVAL = "service.violation_interval_seconds"

# The service's fields the configuration file may set, and their keys there (the TLS pair goes together).
CONFIGURED_FIELDS = {
    "host": "service.host",
    "port": "service.port",
    "heartbeat": "service.heartbeat_seconds",
    "expiry": "service.expiry_seconds",
    "violation_interval": "service.violation_interval_seconds",
    "replication_retry": "replication.retry_seconds",
    "enterprise_database": "replication.enterprise_database",
}
# The store's replication settings the configuration file may set (applied at start, see the runner).
CONFIGURED_REPLICATION = (
    "master",
    "enterprise_server",
    "frequency",
    "start_at",
    "every_hours",
    "ca_file",
    "domain",
    "domain_master",
)


@dataclass(frozen=True)
class ServiceSettings:
    """Everything :func:`applet.service.runner.run_service` needs besides the data folder."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    heartbeat: float = DEFAULT_HEARTBEAT
    expiry: float | None = None  # None: EXPIRY_FACTOR * heartbeat
    violation_interval: float = float(ViolationThrottle.DEFAULT_INTERVAL)
    config_poll: float = 0.25
    flush_interval: float = 1.0
    observe_interval: float = 1.0
    foreground: bool = True
    max_lease_seconds: float = DEFAULT_MAX_LEASE_SECONDS
    max_leases: int = DEFAULT_MAX_TOTAL
    max_leases_per_client: int = DEFAULT_MAX_PER_HOLDER
    # Replication (applet/service/replication.py): a PostgreSQL URL for the enterprise database (None:
    # the SQLite default), the retry after a failure (15 minutes as the original; shorter for tests),
    # and how often the schedule is looked at.
    enterprise_database: str | None = None
    replication_retry: float = float(RETRY_INTERVAL_SECONDS)
    replication_poll: float = 1.0
    max_connections: int | None = None  # None: half the open-files limit, at most 4,096
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    # Serve GET /metrics without a token off loopback too (applet/service/metrics.py).
    metrics: bool = False
    # Replication settings from the configuration file, written into the store at start when they
    # differ from it ((name, value) pairs of CONFIGURED_REPLICATION), and the file they come from.
    configured_replication: tuple[tuple[str, object], ...] = ()
    configuration_file: str = ""

    @property
    def lease_expiry(self) -> float:
        """Seconds without a heartbeat after which a lease is reclaimed."""
        return self.expiry if self.expiry is not None else EXPIRY_FACTOR * self.heartbeat

    @property
    def lease_caps(self) -> LeaseCaps:
        """How many leases callers may hold."""
        return LeaseCaps(per_holder=self.max_leases_per_client, total=self.max_leases)

    @property
    def tls(self) -> bool:
        """True when the API is served over HTTPS."""
        return self.tls_cert is not None

    def with_store_settings(self, values: dict[str, str | None], explicit: set[str]) -> "ServiceSettings":
        """Fill the fields not given on the command line (``explicit``) from store settings."""
        changes: dict[str, Any] = {}
        for field_name, key in (
            ("heartbeat", SETTING_HEARTBEAT),
            ("expiry", SETTING_EXPIRY),
            ("violation_interval", SETTING_VIOLATION_INTERVAL),
        ):
            text = values.get(key)
            if field_name in explicit or text is None:
                continue
            changes[field_name] = positive_seconds(text, key)
        return replace(self, **changes) if changes else self

    def with_configuration(
        self, configuration: Configuration, given: set[str]
    ) -> tuple["ServiceSettings", set[str]]:
        """Fill the fields not ``given`` on the command line from the configuration file.

        Returns the settings and the fields the store's settings table must no longer change (the
        command line's and the file's). The TLS pair is taken from the file only when neither file was
        given on the command line.
        """
        changes: dict[str, Any] = {}
        for field_name, key in CONFIGURED_FIELDS.items():
            value = configuration.get(key)
            if field_name not in given and value is not None:
                changes[field_name] = value
        if not {"tls_cert", "tls_key"} & given:
            for field_name in ("tls_cert", "tls_key"):
                value = configuration.get(f"service.{field_name}")
                if value is not None:
                    changes[field_name] = Path(str(value))
        replication = configuration.section("replication")
        configured = tuple(
            (name, replication[name][0]) for name in CONFIGURED_REPLICATION if name in replication
        )
        if configured:
            changes["configured_replication"] = configured
            changes["configuration_file"] = str(replication[configured[0][0]][1])
        return (replace(self, **changes) if changes else self), given | set(changes)

    def check(self) -> None:
        """Refuse settings the service must not run with (raises :class:`InvalidInput`)."""
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"port must be between 0 and 65535, not {self.port}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise InvalidInput("give both --tls-cert and --tls-key, or neither")
        if not is_loopback(self.host) and not self.tls:
            raise InvalidInput(
                f"refusing to listen on {self.host}, which is not a loopback address, without TLS: "
                "give --tls-cert and --tls-key"
            )
        for path in (self.tls_cert, self.tls_key):
            if path is not None and not path.is_file():
                raise InvalidInput(f"TLS file not found: {path}")
        if self.max_leases < 1 or self.max_leases_per_client < 1:
            raise InvalidInput("the lease caps must be at least 1")
        if self.lease_expiry < self.heartbeat:
            raise InvalidInput("the lease expiry must not be shorter than the heartbeat interval")


def positive_seconds(text: object, what: str) -> float:
    """Parse a positive number of seconds (at most a week)."""
    try:
        value = float(str(text))
    except ValueError:
        raise InvalidInput(f"{what} must be a number of seconds, not {text!r}") from None
    if not 0 < value <= MAX_LEASE_SECONDS:
        raise InvalidInput(f"{what} must be between 0 and {MAX_LEASE_SECONDS:.0f} seconds, not {text!r}")
    return value


def positive_count(text: object, what: str, maximum: int = 10_000_000) -> int:
    """Parse a whole number from 1 to ``maximum``."""
    value = str(text).strip()
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise InvalidInput(f"{what} must be a whole number from 1 to {maximum}, not {text!r}")
    return int(value)
