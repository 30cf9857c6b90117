"""The service as a systemd unit: the unit text for a store, and the startup type as enable/disable.

As root the unit goes to ``/etc/systemd/system`` (the machine's service, started at boot); otherwise to
the user's ``~/.config/systemd/user`` (started at login), driven with ``systemctl --user``.
"""

import os
import shlex
import subprocess
from pathlib import Path

from applet.programs import lls_command
from applet.resources import read_resource_text
from applet.service.control import ServiceControlError
from applet.store.paths import DataPaths

UNIT_NAME = "licensing.service"


def systemd_running() -> bool:
    """True when systemd is the init system (its runtime folder exists)."""
    return Path("/run/systemd/system").is_dir()


def systemd_unit(paths: DataPaths, system: bool) -> str:
    """The unit file text for this store, from the shipped template."""
    template = read_resource_text("systemd", "licensing.service.in")
    command = [*lls_command(), "--data-dir", str(paths.data_dir), "service", "run", "--background"]
    # systemd expands "%" specifiers and "$" variables inside ExecStart: double them so a data folder
    # containing either is passed through unchanged.
    exec_start = shlex.join(command).replace("%", "%%").replace("$", "$$")
    return template.replace("@EXEC_START@", exec_start).replace(
        "@WANTED_BY@", "multi-user.target" if system else "default.target"
    )


def set_startup(paths: DataPaths, startup: str) -> str:
    """Install, enable, disable or remove the unit for ``startup`` (automatic, manual, disabled).

    Returns a line saying what was done.
    """
    if not systemd_running():
        raise ServiceControlError(
            "systemd is not running on this machine, so the startup type cannot be set; "
            "start the service with `lls service start` (for example from your session's autostart)"
        )
    system = hasattr(os, "geteuid") and os.geteuid() == 0
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
    unit_file.write_text(systemd_unit(paths, system), encoding="utf-8")
    systemctl("daemon-reload")
    if startup == "automatic":
        systemctl("enable", "--now", UNIT_NAME)
        return f"{unit_file} is enabled and started"
    systemctl("disable", UNIT_NAME)
    return f"{unit_file} is installed; start it with `systemctl {' '.join(scope)} start {UNIT_NAME}`".replace(
        "  ", " "
    )
