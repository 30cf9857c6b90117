"""The configuration file ``licensing.toml``: where it is looked for, what it may hold, and its checks.

Which files are read (:func:`load_configuration`; the data folder's own order is in
:mod:`applet.store.paths`, the one place that documents both):

1. ``--config FILE`` (every program's global option; it sets ``$LLS_CONFIG`` for the process and the
   programs it starts) or ``$LLS_CONFIG``: that file alone, which must exist.
2. Otherwise the machine-wide file, ``/etc/licensing/licensing.toml`` (``%ProgramData%\\Licensing\\
   licensing.toml`` on Windows; ``$LLS_MACHINE_CONFIG`` names another, for packagers and tests), then
   the per-user file in the platformdirs per-user configuration folder
   (``~/.config/Licensing/licensing.toml`` on Linux), whose keys override the machine-wide ones one by
   one. Either may be absent.

What a file may hold (:data:`KEYS`)::

    data_dir = "/var/lib/licensing"          # the store's folder
    [service]
    host = "127.0.0.1"                       # off loopback the service needs tls_cert and tls_key
    port = 8765                              # 0 picks a free port
    tls_cert = "/etc/licensing/cert.pem"
    tls_key = "/etc/licensing/key.pem"
    heartbeat_seconds = 60
    expiry_seconds = 120
    violation_interval_seconds = 21600
    [replication]                            # the Configure Replication settings, and the service's
    master = "enterprise-server"             # domain-controller | enterprise-server
    enterprise_server = "licmaster:8765"
    frequency = "every"                      # start-at | every
    start_at = "02:00"
    every_hours = 24
    ca_file = "/etc/licensing/master-ca.pem"
    domain = "example.com"                   # Domain Controller: the SRV record's domain
    domain_master = "licmaster:8765"         # Domain Controller: the master, before any DNS lookup
    retry_seconds = 900
    enterprise_database = "postgresql://..." # a master's replicated data (default: SQLite)

Relative paths are relative to the file's folder. A file that cannot be read, is not TOML, has a key
not listed here or a value of the wrong type or range raises :class:`ConfigError`: one line naming the
file, the key and the problem (the programs exit 2 and start nothing).

This module is read on every start of ``lls``: it imports ``tomllib`` only when a file exists, and
``platformdirs`` only off Linux (where the folder is XDG's, computed here the way platformdirs does).
"""

import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from applet import APP_AUTHOR, APP_NAME
from applet.domain.errors import InvalidInput

CONFIG_FILE_NAME = "licensing.toml"
# The file of ``--config``; set by the option so that programs started from this one read it too.
CONFIG_ENV = "LLS_CONFIG"
# Another machine-wide file than /etc/licensing/licensing.toml (packagers, tests).
MACHINE_CONFIG_ENV = "LLS_MACHINE_CONFIG"
# The longest time in seconds any setting may take (a week), as the service's own flags.
MAX_SECONDS = 7 * 24 * 3600.0
MAX_EVERY_HOURS = 72

SCOPE_EXPLICIT = "--config"
SCOPE_ENV = CONFIG_ENV
SCOPE_MACHINE = "machine-wide"
SCOPE_USER = "per-user"


class ConfigError(InvalidInput):
    """A configuration file that cannot be used; the message names the file, the key and the problem."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(f"configuration file {where}{problem}")
        self.path = path
        self.key = key


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    if not value.strip() or any(ord(character) < 32 for character in value):
        raise ValueError("must be a non-empty string on one line")
    return value.strip()


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a whole number (a TCP port)")
    if not 0 <= value <= 65535:
        raise ValueError(f"must be a TCP port from 0 to 65535, not {value}")
    return value


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("must be a number of seconds")
    if not 0 < value <= MAX_SECONDS:
        raise ValueError(f"must be between 0 and {MAX_SECONDS:.0f} seconds, not {value}")
    return float(value)


def _hours(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a whole number of hours")
    if not 1 <= value <= MAX_EVERY_HOURS:
        raise ValueError(f"must be 1 to {MAX_EVERY_HOURS} hours, not {value}")
    return value


def _clock(value: object) -> str:
    text = _text(value)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"must be HH:MM (00:00 to 23:59), not {text!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _choice(*choices: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _text(value)
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {text!r}")
        return text

    return check


def _database_url(value: object) -> str:
    text = _text(value)
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError("must be a postgresql:// URL")
    return text


def _domain(value: object) -> str:
    from applet.domain.dns import clean_domain

    try:
        return clean_domain(_text(value))
    except InvalidInput as problem:
        raise ValueError(str(problem)) from None


def _master(value: object) -> str:
    from applet.domain.replication import parse_master_address

    try:
        return str(parse_master_address(_text(value)))
    except InvalidInput as problem:
        raise ValueError(str(problem)) from None


# Marks a key whose value is a path (made absolute against the file's folder after the check).
_PATH = _text

# Every key a file may hold ("section.key"), with its check. The replication keys are the fields of the
# store's replication settings (applet.store.records.ReplicationSettings), its settings ca_file, domain
# and domain_master (applet.store.replication), and the service's replication options
# (--replication-retry, --enterprise-database).
KEYS: dict[str, Callable[[object], object]] = {
    "data_dir": _PATH,
    "service.host": _text,
    "service.port": _port,
    "service.tls_cert": _PATH,
    "service.tls_key": _PATH,
    "service.heartbeat_seconds": _seconds,
    "service.expiry_seconds": _seconds,
    "service.violation_interval_seconds": _seconds,
    "replication.master": _choice("domain-controller", "enterprise-server"),
    "replication.enterprise_server": _master,
    "replication.frequency": _choice("start-at", "every"),
    "replication.start_at": _clock,
    "replication.every_hours": _hours,
    "replication.ca_file": _PATH,
    "replication.domain": _domain,
    "replication.domain_master": _master,
    "replication.retry_seconds": _seconds,
    "replication.enterprise_database": _database_url,
}
PATH_KEYS = frozenset({"data_dir", "service.tls_cert", "service.tls_key", "replication.ca_file"})
SECTIONS = frozenset(key.partition(".")[0] for key in KEYS if "." in key)


# The records below are NamedTuples, not dataclasses: every program reads the configuration first, and
# creating a dataclass costs about half a millisecond (the applet's first paint, `lls product list`).


class ConfigFile(NamedTuple):
    """One file that was read: where, in which role, and its checked values by ``section.key``."""

    path: Path
    scope: str
    values: Mapping[str, object]


class Candidate(NamedTuple):
    """A place a file was looked for, and what became of it (for ``lls config show``)."""

    path: Path
    scope: str
    state: str  # "in force", "absent" or "not read"
    reason: str


class Configuration(NamedTuple):
    """The files in force (lowest precedence first) and every place looked at."""

    files: tuple[ConfigFile, ...]
    candidates: tuple[Candidate, ...]

    def lookup(self, key: str) -> tuple[object, Path] | None:
        """The value of ``key`` and the file it comes from, or None when no file sets it."""
        if key not in KEYS:
            raise KeyError(key)
        for config_file in reversed(self.files):
            if key in config_file.values:
                return config_file.values[key], config_file.path
        return None

    def get(self, key: str) -> Any:
        """The value of ``key`` (None when no file sets it)."""
        found = self.lookup(key)
        return None if found is None else found[0]

    def section(self, name: str) -> dict[str, tuple[object, Path]]:
        """Every key set in ``[name]`` (without the section prefix), with its file."""
        found = {}
        for key in KEYS:
            if key.startswith(name + "."):
                value = self.lookup(key)
                if value is not None:
                    found[key.partition(".")[2]] = value
        return found


def machine_config_file() -> Path:
    """The machine-wide file: ``$LLS_MACHINE_CONFIG``, else /etc/licensing or ProgramData."""
    named = os.environ.get(MACHINE_CONFIG_ENV)
    if named:
        return Path(named).expanduser().absolute()
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / APP_NAME / CONFIG_FILE_NAME
    return Path("/etc/licensing") / CONFIG_FILE_NAME


def user_config_file() -> Path:
    """The per-user file, in the platformdirs per-user configuration folder."""
    if sys.platform.startswith("linux"):
        # platformdirs' answer on Linux ($XDG_CONFIG_HOME, else ~/.config), without importing it:
        # that import would cost every lls command about a tenth of its start-up.
        base = os.environ.get("XDG_CONFIG_HOME", "").strip()
        folder = Path(base).expanduser() if base else Path.home() / ".config"
        return folder / APP_NAME / CONFIG_FILE_NAME
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, APP_AUTHOR, roaming=False) / CONFIG_FILE_NAME


def read_config_file(path: Path, scope: str) -> ConfigFile:
    """Read and check one file; :class:`ConfigError` when it cannot be used."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(path, None, f"cannot read it: {error.strerror or error}") from None
    import tomllib

    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, None, "not TOML: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, None, f"not TOML: {error}") from None
    values: dict[str, object] = {}
    for name, value in document.items():
        if name in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(path, name, f"must be a table ([{name}])")
            for key, item in value.items():
                values[f"{name}.{key}"] = item
        else:
            values[name] = value
    checked: dict[str, object] = {}
    for key, value in values.items():
        check = KEYS.get(key)
        if check is None:
            raise ConfigError(path, key, f"unknown key (known: {', '.join(_known_beside(key))})")
        try:
            clean = check(value)
        except TypeError as problem:
            raise ConfigError(path, key, f"{problem}, not {_toml_type(value)}") from None
        except ValueError as problem:
            raise ConfigError(path, key, str(problem)) from None
        if key in PATH_KEYS:
            clean = str((path.parent / Path(str(clean)).expanduser()).absolute())
        checked[key] = clean
    return ConfigFile(path.absolute(), scope, checked)


def _known_beside(key: str) -> list[str]:
    """The keys a file may hold in the same table as ``key`` (for the unknown-key message)."""
    section = key.partition(".")[0] if "." in key else ""
    if not section:
        return [name for name in KEYS if "." not in name] + [f"[{name}]" for name in sorted(SECTIONS)]
    return [name.partition(".")[2] for name in KEYS if name.startswith(section + ".")]


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    return names.get(type(value), "a table" if isinstance(value, dict) else f"a {type(value).__name__}")


# Parsed files by (path, modification time, size): lls reads its configuration several times per
# command (the data folder, the service options), and a long-running GUI once per look.
_cache: dict[tuple[Path, str, int, int], ConfigFile] = {}


def _cached(path: Path, scope: str, status: os.stat_result) -> ConfigFile:
    key = (path, scope, status.st_mtime_ns, status.st_size)
    found = _cache.get(key)
    if found is None:
        found = read_config_file(path, scope)
        _cache[key] = found
    return found


def load_configuration() -> Configuration:
    """The configuration in force (see the module docstring); :class:`ConfigError` for a bad file."""
    explicit = os.environ.get(CONFIG_ENV, "").strip()
    machine = machine_config_file()
    user = user_config_file()
    if explicit:
        path = Path(explicit).expanduser().absolute()
        try:
            status = path.stat()
        except OSError as error:
            raise ConfigError(path, None, f"cannot read it: {error.strerror or error}") from None
        chosen = _cached(path, SCOPE_EXPLICIT, status)
        skipped = f"{path} was given (--config or ${CONFIG_ENV}): it alone is read"
        return Configuration(
            (chosen,),
            (
                Candidate(path, SCOPE_EXPLICIT, "in force", "given with --config or $" + CONFIG_ENV),
                Candidate(machine, SCOPE_MACHINE, "not read", skipped),
                Candidate(user, SCOPE_USER, "not read", skipped),
            ),
        )
    files: list[ConfigFile] = []
    candidates: list[Candidate] = []
    for path, scope, reason in (
        (machine, SCOPE_MACHINE, "the machine-wide configuration"),
        (user, SCOPE_USER, "this user's configuration: its keys override the machine-wide file's"),
    ):
        found = _status(path)
        if found is None:
            candidates.append(Candidate(path, scope, "absent", reason))
            continue
        files.append(_cached(path, scope, found))
        candidates.append(Candidate(path, scope, "in force", reason))
    return Configuration(tuple(files), tuple(candidates))


def read_machine_configuration() -> ConfigFile | None:
    """The machine-wide file alone (None when absent): it says where the machine-wide store is."""
    path = machine_config_file()
    status = _status(path)
    return None if status is None else _cached(path, SCOPE_MACHINE, status)


def _status(path: Path) -> os.stat_result | None:
    """The file's status, or None when there is no such file (a file that exists but cannot be looked
    at is a :class:`ConfigError`: it is not absent)."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise ConfigError(path, None, f"cannot read it: {error.strerror or error}") from None


def use_config_file(path: str | os.PathLike[str]) -> None:
    """Make ``path`` the configuration of this process and of the programs it starts (``--config``)."""
    os.environ[CONFIG_ENV] = str(Path(path).expanduser().absolute())


def check_configuration(config_file: str | os.PathLike[str] | None = None) -> Configuration:
    """Every program's first step: take ``--config FILE`` when given, and read the configuration in
    force, so that a bad file stops the program (:class:`ConfigError`) before it does anything."""
    if config_file:
        use_config_file(config_file)
    configuration = load_configuration()
    if os.environ.get("LLS_MACHINE_WIDE") == "1":
        read_machine_configuration()
    return configuration
