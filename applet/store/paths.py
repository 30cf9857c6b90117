"""The one resolver of where Licensing keeps its files, and the one place that says in which order.

The data folder (the store), first match wins:

1. ``--data-dir DIR`` (every program, and the service's systemd unit);
2. ``$LLS_DATA_DIR``;
3. ``$LLS_MACHINE_WIDE=1``: the machine-wide store (below);
4. ``data_dir`` in the configuration in force (:mod:`applet.store.config`): the ``--config FILE`` (or
   ``$LLS_CONFIG``) alone, else the per-user ``licensing.toml`` over the machine-wide
   ``/etc/licensing/licensing.toml`` (``%ProgramData%\\Licensing\\licensing.toml`` on Windows);
5. the per-user platformdirs data folder.

The machine-wide store is the ``data_dir`` of the machine-wide configuration file, else
/var/lib/licensing (``%ProgramData%\\Licensing`` on Windows): where ``install.sh --service`` and the Windows
installer put the service's store. The GUI, the CLI and the service all call :func:`resolve_paths`, so
they agree on the store; :func:`machine_store_warning` says when one of them does not use an existing
machine-wide store.
"""

import os
import sys
from pathlib import Path
from typing import NamedTuple

from applet import APP_AUTHOR, APP_NAME

DATABASE_FILE = "licensing.sqlite3"
ENDPOINT_FILE = "service-endpoint.json"
LOCK_FILE = "service.lock"
TOKENS_DIR = "tokens"


class DataPaths(NamedTuple):
    """Every location the product uses, derived from one data folder.

    A NamedTuple, not a dataclass: every program resolves its paths at start, and creating a dataclass
    costs about half a millisecond (the applet's first paint, `lls product list`).
    """

    data_dir: Path
    # What chose the folder: "--data-dir", "LLS_DATA_DIR", "LLS_MACHINE_WIDE", "config" or "default".
    source: str
    # The configuration file whose data_dir chose it (source "config").
    config_file: Path | None = None

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


def machine_store_dir() -> Path:
    """The machine-wide store: ``data_dir`` of the machine-wide configuration file, else
    :func:`machine_wide_dir`. Raises :class:`applet.store.config.ConfigError` for a bad file."""
    from applet.store.config import read_machine_configuration

    machine = read_machine_configuration()
    configured = machine.values.get("data_dir") if machine is not None else None
    return Path(str(configured)) if configured else machine_wide_dir()


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
    """Decide the data folder in the order of the module docstring.

    Raises :class:`applet.store.config.ConfigError` when a configuration file it reads is bad.
    """
    if data_dir:
        return DataPaths(Path(data_dir).expanduser().absolute(), "--data-dir")
    env = os.environ.get("LLS_DATA_DIR")
    if env:
        return DataPaths(Path(env).expanduser().absolute(), "LLS_DATA_DIR")
    if os.environ.get("LLS_MACHINE_WIDE") == "1":
        return DataPaths(machine_store_dir(), "LLS_MACHINE_WIDE")
    # Imported here: a CLI call with --data-dir never pays for it.
    from applet.store.config import load_configuration

    configured = load_configuration().lookup("data_dir")
    if configured is not None:
        return DataPaths(Path(str(configured[0])), "config", configured[1])
    from platformdirs import user_data_path

    return DataPaths(user_data_path(APP_NAME, APP_AUTHOR, roaming=False), "default")


def store_reason(paths: DataPaths) -> str:
    """Why this store is the one in use, as a sentence for ``lls config show``."""
    reasons = {
        "--data-dir": "--data-dir was given",
        "LLS_DATA_DIR": "$LLS_DATA_DIR is set",
        "LLS_MACHINE_WIDE": "$LLS_MACHINE_WIDE=1 selects the machine-wide store",
        "config": f"data_dir in {paths.config_file}",
        "default": "no data folder is configured: the per-user default",
    }
    return reasons.get(paths.source, paths.source)


def machine_store_warning(paths: DataPaths) -> str | None:
    """A line for ``lls paths`` and the GUIs' status bars when a machine-wide store exists (the
    service's, after ``install.sh --service``) and ``paths`` is another one; None otherwise."""
    machine = machine_store_dir()
    if not (machine / DATABASE_FILE).exists() or _same_folder(machine, paths.data_dir):
        return None
    return (
        f"a machine-wide store exists in {machine}, but this uses {paths.data_dir} "
        f"({store_reason(paths)}); use --data-dir {machine} or set data_dir in the configuration"
    )


def _same_folder(first: Path, second: Path) -> bool:
    try:
        return first.exists() and second.exists() and first.samefile(second)
    except OSError:
        return first.absolute() == second.absolute()


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
