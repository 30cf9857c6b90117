"""How Licensing hooks into the operating system: the ``lls`` command line, the systemd unit and the
Windows service registration.

Everything here builds text, paths and command lines, so it is testable on any platform; running them
(systemctl, sc.exe) is up to the caller. The ``LicenseService`` event-log source is registered by the
service's Windows sink itself (applet/service/sinks.py), which runs with the service's rights.
The systemd unit comes from the template ``resources/systemd/licensing.service.in`` (found through
:func:`applet.resources.resource_path`, so source checkouts, wheels and the frozen folder agree).

Names keep the original's: the Windows service and event source are ``LicenseService``, displayed as
"License Logging Service", so existing monitoring rules keep matching.
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

from applet.resources import read_resource_text

SERVICE_NAME = "LicenseService"
SERVICE_DISPLAY_NAME = "License Logging Service"
SERVICE_DESCRIPTION = "Counts client use of licensed server products and warns when it exceeds the licenses."
SYSTEMD_UNIT_NAME = "licensing.service"
WINDOWS_START_TYPES = {"automatic": "auto", "manual": "demand", "disabled": "disabled"}


def is_frozen() -> bool:
    """True inside the PyInstaller folder (dist/Licensing)."""
    return bool(getattr(sys, "frozen", False))


def lls_command() -> list[str]:
    """The command line that runs ``lls`` from this installation, for spawning it.

    Frozen, the GUI and ``lls`` executables sit side by side and ``sys.executable`` is whichever of them
    is running, so the sibling ``lls`` is named explicitly; from source or a wheel it is this Python
    with ``-m applet``.
    """
    if is_frozen():
        name = "lls.exe" if sys.platform == "win32" else "lls"
        return [str(Path(sys.executable).with_name(name))]
    return [sys.executable, "-m", "applet"]


def service_run_command(data_dir: Path) -> list[str]:
    """``lls --data-dir DIR service run``: the service in the foreground, as a service manager runs it."""
    return [*lls_command(), "--data-dir", str(data_dir), "service", "run"]


def _systemd_quote(argument: str) -> str:
    # systemd's ExecStart splits like a shell with single or double quotes, but also expands
    # %-specifiers and $VARIABLES: double them so a path is taken literally.
    return shlex.quote(argument).replace("%", "%%").replace("$", "$$")


def render_systemd_unit(data_dir: Path, system: bool) -> str:
    """The unit file text for the service on ``data_dir``; ``system`` for /etc, else a user unit."""
    exec_start = " ".join(_systemd_quote(argument) for argument in service_run_command(data_dir))
    template = read_resource_text("systemd", "licensing.service.in")
    return template.replace("@EXEC_START@", exec_start).replace(
        "@WANTED_BY@", "multi-user.target" if system else "default.target"
    )


def systemd_unit_path(system: bool) -> Path:
    """Where the unit is installed: /etc/systemd/system as root, else the user's systemd folder."""
    if system:
        return Path("/etc/systemd/system") / SYSTEMD_UNIT_NAME
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "systemd" / "user" / SYSTEMD_UNIT_NAME


def systemctl_commands(startup: str, system: bool) -> list[list[str]]:
    """The systemctl calls that give the installed unit the startup type automatic/manual/disabled."""
    if startup not in WINDOWS_START_TYPES:
        raise ValueError(f"unknown startup type {startup!r}: use automatic, manual or disabled")
    base = ["systemctl"] if system else ["systemctl", "--user"]
    commands = [[*base, "daemon-reload"]]
    if startup == "automatic":
        commands.append([*base, "enable", SYSTEMD_UNIT_NAME])
    elif startup == "manual":
        commands.append([*base, "disable", SYSTEMD_UNIT_NAME])
    else:
        commands.append([*base, "disable", "--now", SYSTEMD_UNIT_NAME])
    return commands


def windows_service_command_line(data_dir: Path) -> str:
    """The service's ``binPath``: the program that hosts the service for the Service Control Manager.

    Frozen, ``lls.exe --windows-service``; from a wheel, ``python -m applet.winservice`` (both run
    :func:`applet.winservice.main`).
    """
    if is_frozen():
        host = [*lls_command(), "--windows-service"]
    else:
        host = [sys.executable, "-m", "applet.winservice"]
    return subprocess.list2cmdline([*host, "--data-dir", str(data_dir)])


def windows_service_commands(data_dir: Path, startup: str) -> list[list[str]]:
    """``sc.exe`` calls that create (or reconfigure) ``LicenseService`` with the given startup type.

    ``sc.exe`` wants each option as ``name=`` followed by its value as a separate argument.
    """
    if startup not in WINDOWS_START_TYPES:
        raise ValueError(f"unknown startup type {startup!r}: use automatic, manual or disabled")
    start = WINDOWS_START_TYPES[startup]
    bin_path = windows_service_command_line(data_dir)
    return [
        [
            "sc.exe",
            "create",
            SERVICE_NAME,
            "binPath=",
            bin_path,
            "start=",
            start,
            "DisplayName=",
            SERVICE_DISPLAY_NAME,
        ],
        ["sc.exe", "config", SERVICE_NAME, "binPath=", bin_path, "start=", start],
        ["sc.exe", "description", SERVICE_NAME, SERVICE_DESCRIPTION],
        # Restart after a crash, like systemd's Restart=on-failure: after 5 s, twice, then every minute.
        [
            "sc.exe",
            "failure",
            SERVICE_NAME,
            "reset=",
            "86400",
            "actions=",
            "restart/5000/restart/5000/restart/60000",
        ],
    ]
