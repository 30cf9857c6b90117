"""The one resolver of where Licensing keeps its files.

Order: an explicit ``--data-dir`` > the ``LLS_DATA_DIR`` environment variable > machine-wide mode
(``LLS_MACHINE_WIDE=1``: ProgramData on Windows, /var/lib/licensing elsewhere) > the per-user
platformdirs data folder. The GUI, the CLI and the service all call :func:`resolve_paths`, so they
agree on the store by default.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from applet import APP_AUTHOR, APP_NAME

DATABASE_FILE = "licensing.sqlite3"
ENDPOINT_FILE = "service-endpoint.json"
LOCK_FILE = "service.lock"
TOKENS_DIR = "tokens"


@dataclass(frozen=True)
class DataPaths:
    """Every location the product uses, derived from one data folder."""

    data_dir: Path
    source: str

    @property
    def database(self) -> Path:
        """The SQLite store."""
        return self.data_dir / DATABASE_FILE

    @property
    def endpoint(self) -> Path:
        """Where a running service writes its address, port and token locations."""
        return self.data_dir / ENDPOINT_FILE

    @property
    def service_lock(self) -> Path:
        """Held by the running service: one instance per store."""
        return self.data_dir / LOCK_FILE

    @property
    def tokens_dir(self) -> Path:
        """Client and admin API tokens, readable only by their owner."""
        return self.data_dir / TOKENS_DIR

    @property
    def log_dir(self) -> Path:
        """Service and GUI logs."""
        return self.data_dir / "logs"

    @property
    def backups_dir(self) -> Path:
        """Copies of the database taken before a migration."""
        return self.data_dir / "backups"

    def as_dict(self) -> dict[str, str]:
        """All locations by name, for ``lls paths``."""
        return {
            "data_dir": str(self.data_dir),
            "source": self.source,
            "database": str(self.database),
            "endpoint": str(self.endpoint),
            "service_lock": str(self.service_lock),
            "tokens_dir": str(self.tokens_dir),
            "log_dir": str(self.log_dir),
            "backups_dir": str(self.backups_dir),
        }


def machine_wide_dir() -> Path:
    """The system-wide data folder for a real server install."""
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
        return Path(base) / APP_NAME
    return Path("/var/lib/licensing")


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
    """Decide the data folder: ``data_dir`` > ``LLS_DATA_DIR`` > machine-wide > per-user default."""
    if data_dir:
        return DataPaths(Path(data_dir).expanduser().absolute(), "--data-dir")
    env = os.environ.get("LLS_DATA_DIR")
    if env:
        return DataPaths(Path(env).expanduser().absolute(), "LLS_DATA_DIR")
    if os.environ.get("LLS_MACHINE_WIDE") == "1":
        return DataPaths(machine_wide_dir(), "LLS_MACHINE_WIDE")
    # Imported here so that a CLI call with --data-dir never pays for it.
    from platformdirs import user_data_path

    return DataPaths(user_data_path(APP_NAME, APP_AUTHOR, roaming=False), "default")


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and every missing parent owner-only (0700); existing folders are left as they
    are. ``Path.mkdir(parents=True)`` would give the parents the umask's mode (often 0755)."""
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made by another process just now: leave it as that process made it
        if os.name != "nt":
            os.chmod(path, 0o700)  # mkdir's mode passes through the umask
