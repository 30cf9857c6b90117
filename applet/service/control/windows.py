"""The service as the Windows service ``LicenseService``: the Service Control Manager through the stock
``sc.exe``.

Names keep the original's, so existing monitoring rules keep matching. The host that the SCM starts, and
the ``sc.exe`` calls that register it, are in :mod:`applet.winservice`; ``lls service startup TYPE``
changes only the start type (:func:`set_start_type`). The command lines are plain data, tested on any
platform; running them needs Windows.
"""

import subprocess

from applet.service.control import ServiceControlError

SERVICE_NAME = "LicenseService"
SERVICE_DISPLAY_NAME = "License Logging Service"
SERVICE_DESCRIPTION = "Counts client use of licensed server products and warns when it exceeds the licenses."
# lls's startup types as sc.exe's start= values.
START_TYPES = {"automatic": "auto", "manual": "demand", "disabled": "disabled"}
# sc.exe's exit code when "create" finds the service already registered.
ERROR_SERVICE_EXISTS = 1073


def run_sc(commands: list[list[str]], tolerate_first: bool = False) -> None:
    """Run ``sc.exe`` calls in order; "create" of a registered service is not a failure, nor (with
    ``tolerate_first``) a failing first call (``stop`` of a stopped service). A "config" right after a
    "create" that registered the service anew is skipped: "create" has just set those options, and
    "config" is only for updating an earlier registration (Wine's sc.exe, for one, has no "config")."""
    created = False
    for index, command in enumerate(commands):
        if command[1] == "config" and created:
            continue
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        created = created or (command[1] == "create" and result.returncode == 0)
        exists = command[1] == "create" and result.returncode == ERROR_SERVICE_EXISTS
        if result.returncode != 0 and not exists and not (tolerate_first and index == 0):
            message = " ".join((result.stdout or result.stderr).split())
            raise ServiceControlError(f"{' '.join(command[:2])} failed (administrator prompt?): {message}")


def set_start_type(startup: str) -> str:
    """Change the registered service's start type (automatic, manual, disabled); a line saying so."""
    # The service is registered by the installer with `lls --windows-service install`; here only its
    # start type changes.
    start = START_TYPES[startup]
    result = subprocess.run(
        ["sc.exe", "config", SERVICE_NAME, "start=", start], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        message = " ".join((result.stdout or result.stderr).split())
        raise ServiceControlError(
            f"cannot change the Windows service {SERVICE_NAME} (is it installed, and is this an "
            f"administrator prompt?): {message}"
        )
    return f"Windows service {SERVICE_NAME} start type is {start}"
