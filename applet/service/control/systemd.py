"""The service as a systemd unit: the unit text for a store, and the startup type as enable/disable.

As root the unit goes to ``/etc/systemd/system`` (the machine's service, started at boot) and runs as the
dedicated system user ``licensing`` (``packaging/linux/install.sh --service`` creates it), with
``StateDirectory=licensing`` and a sandbox; otherwise to the user's ``~/.config/systemd/user`` (started
at login), driven with ``systemctl --user``, as that user.

The service reads the configuration file itself at every start (host, port, TLS, timing, replication:
:mod:`applet.store.config`), so editing it and restarting the unit is enough; ``--config FILE`` is
written into the unit when one was given. The store (``--data-dir``) and a port below 1024 (which needs
``CAP_NET_BIND_SERVICE``) are fixed when the unit is written: after changing either, run
``lls service startup automatic`` again.
"""

import os
import shlex
import subprocess
from pathlib import Path

from applet.domain.errors import InvalidInput
from applet.programs import lls_command
from applet.resources import read_resource_text
from applet.service.control import ServiceControlError
from applet.store.config import SCOPE_ENV, SCOPE_EXPLICIT, SCOPE_USER, Configuration
from applet.store.paths import DataPaths, make_private_folder

UNIT_NAME = "licensing.service"
# The system user the machine's service runs as (created by install.sh --service).
SERVICE_USER = "licensing"
# Folders that ProtectHome=yes would hide from the service.
HOME_FOLDERS = (Path("/home"), Path("/root"), Path("/run/user"))


def is_system() -> bool:
    """True when the unit written is the machine's (run as root), not this user's."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def systemd_running() -> bool:
    """True when systemd is the init system (its runtime folder exists)."""
    return Path("/run/systemd/system").is_dir()


def systemd_unit(
    paths: DataPaths, system: bool, config_file: Path | None = None, port: int | None = None
) -> str:
    """The unit file text for this store, from the shipped template.

    ``config_file`` is passed to the service as ``--config`` (else it reads the usual files);
    ``port`` is the configured port, for which a system unit below 1024 keeps CAP_NET_BIND_SERVICE.
    """
    template = read_resource_text("systemd", "licensing.service.in")
    config = ["--config", str(config_file)] if config_file is not None else []
    command = [*lls_command(), *config, "--data-dir", str(paths.data_dir), "service", "run", "--background"]
    # systemd expands "%" specifiers and "$" variables inside ExecStart: double them so a data folder
    # containing either is passed through unchanged.
    exec_start = _escaped(shlex.join(command))
    in_home = any(
        _inside(Path(place), home) for place in (command[0], paths.data_dir) for home in HOME_FOLDERS
    )
    low_port = port is not None and 0 < port < 1024
    return (
        template.replace("@EXEC_START@", exec_start)
        .replace("@WANTED_BY@", "multi-user.target" if system else "default.target")
        .replace("@SYSTEM@", "" if system else "# (system unit only) ")
        .replace("@DATA_DIR@", _escaped(str(paths.data_dir)))
        .replace("@PROTECT_HOME@", "read-only" if in_home else "yes")
        .replace("@CAPABILITIES@", "CAP_NET_BIND_SERVICE" if low_port else "")
    )


def unit_config_file(configuration: Configuration, paths: DataPaths, system: bool) -> Path | None:
    """The ``--config`` the unit passes on: the file given with ``--config`` (or ``$LLS_CONFIG``), else
    none (the service reads the usual files at each start).

    A system unit runs as the service user, who reads neither a per-user file of the administrator's
    nor a store in a home folder: both are refused (:class:`InvalidInput`) rather than ignored.
    """
    explicit = [entry for entry in configuration.files if entry.scope in (SCOPE_EXPLICIT, SCOPE_ENV)]
    if system:
        personal = [entry for entry in configuration.files if entry.scope == SCOPE_USER]
        if personal:
            raise InvalidInput(
                f"the system service does not read the per-user configuration {personal[0].path}: move its "
                "settings to the machine-wide file, or name a file with --config"
            )
        if any(_inside(paths.data_dir, home) for home in HOME_FOLDERS):
            raise InvalidInput(
                f"the system service (user {SERVICE_USER}) cannot use a store in a home folder "
                f"({paths.data_dir}): use the machine-wide store (--data-dir /var/lib/licensing, or "
                "data_dir in /etc/licensing/licensing.toml)"
            )
    return explicit[0].path if explicit else None


def _service_user_exists() -> bool:
    import pwd

    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return False
    return True


def _escaped(text: str) -> str:
    return text.replace("%", "%%").replace("$", "$$")


def _inside(path: Path, folder: Path) -> bool:
    return path.absolute().is_relative_to(folder)


def set_startup(
    paths: DataPaths, startup: str, config_file: Path | None = None, port: int | None = None
) -> str:
    """Install, enable, disable or remove the unit for ``startup`` (automatic, manual, disabled);
    ``config_file`` and ``port`` as :func:`systemd_unit`. Returns a line saying what was done.
    """
    if not systemd_running():
        raise ServiceControlError(
            "systemd is not running on this machine, so the startup type cannot be set; "
            "start the service with `lls service start` (for example from your session's autostart)"
        )
    system = is_system()
    if system and startup != "disabled" and not _service_user_exists():
        raise ServiceControlError(
            f"the system user {SERVICE_USER} does not exist: create it with `useradd --system --user-group "
            f"--home-dir /var/lib/licensing --no-create-home --shell /usr/sbin/nologin {SERVICE_USER}` "
            "(packaging/linux/install.sh --service does)"
        )
    scope = [] if system else ["--user"]
    folder = Path("/etc/systemd/system") if system else Path.home() / ".config" / "systemd" / "user"
    unit_file = folder / UNIT_NAME

    def systemctl(*arguments: str) -> None:
        result = subprocess.run(
            ["systemctl", *scope, *arguments], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            message = " ".join((result.stderr or result.stdout).split()) or f"exit code {result.returncode}"
            raise ServiceControlError(f"systemctl {' '.join(arguments)} failed: {message}")

    if startup == "disabled":
        if unit_file.exists():
            systemctl("disable", "--now", UNIT_NAME)
            unit_file.unlink()
            systemctl("daemon-reload")
        return f"removed {unit_file}; systemd will not start the service"
    folder.mkdir(parents=True, exist_ok=True)
    if system:
        # ReadWritePaths= needs the folder before the service starts (ExecStartPre then chowns it).
        make_private_folder(paths.data_dir)
    unit_file.write_text(systemd_unit(paths, system, config_file, port), encoding="utf-8")
    systemctl("daemon-reload")
    if startup == "automatic":
        systemctl("enable", "--now", UNIT_NAME)
        return f"{unit_file} is enabled and started"
    systemctl("disable", UNIT_NAME)
    return f"{unit_file} is installed; start it with `systemctl {' '.join(scope)} start {UNIT_NAME}`".replace(
        "  ", " "
    )
