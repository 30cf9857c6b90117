"""The background service: start it and wait until it answers (``lls service start``, and License
Manager's Start Service button, which runs that command), and wait for it to stop (``lls service stop``).

Whether it runs is the service lock's answer (:func:`applet.store.endpoint.service_state`). The started
process is the console ``lls service run --background`` (:func:`applet.programs.lls_command`), detached
from the caller's session; what it prints before its own log is set up goes to ``logs/service-console.log``.
"""

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from applet.programs import lls_command
from applet.service.control import ServiceControlError
from applet.service.lock import read_holder
from applet.store.endpoint import Liveness, ServiceEndpoint, ServiceState, find_service, service_state
from applet.store.paths import DataPaths, make_private_folder

START_TIMEOUT = 20.0
# What the background service writes outside its own log (a crash before logging is set up).
CONSOLE_LOG = "service-console.log"
POLL_SECONDS = 0.05


def known_state(paths: DataPaths) -> ServiceState:
    """The service lock's state; :class:`ServiceControlError` when this user cannot tell (another user's
    store): saying "not running" then would be a guess."""
    state = service_state(paths)
    if state.liveness is Liveness.UNKNOWN:
        raise ServiceControlError(f"cannot tell whether the service is running on this store: {state.reason}")
    return state


def start_background(
    paths: DataPaths, run_options: list[str], timeout: float = START_TIMEOUT
) -> ServiceEndpoint:
    """Start ``lls service run --background`` with ``run_options`` on this store and return its endpoint
    once published; :class:`ServiceControlError` when it runs already, exits, or does not answer."""
    state = known_state(paths)
    if state.liveness is Liveness.RUNNING:
        running = find_service(paths)
        where = f", {running.url}" if running is not None else ""
        raise ServiceControlError(
            f"the service is already running on this store (process {state.holder or '?'}{where})"
        )
    make_private_folder(paths.log_dir)
    log_file = paths.log_dir / CONSOLE_LOG
    command = [*lls_command(), "--data-dir", str(paths.data_dir), "service", "run", "--background"]
    options: dict[str, Any] = {}
    if os.name == "nt":
        # Windows-only constants: looked up by name so the module type-checks everywhere.
        options["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(
            subprocess, "DETACHED_PROCESS", 0
        )
    else:
        options["start_new_session"] = True
    # The log may carry user names and product names: owner-only, like the rest of the data folder.
    with os.fdopen(os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as log:
        child = subprocess.Popen(
            [*command, *run_options], stdin=subprocess.DEVNULL, stdout=log, stderr=log, **options
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoint = find_service(paths)
        if endpoint is not None and endpoint.pid == child.pid:
            return endpoint
        code = child.poll()
        if code is not None:
            holder = read_holder(paths.service_lock)
            reason = _last_error_line(log_file) or f"it exited with code {code}"
            if holder and holder != child.pid and known_state(paths).liveness is Liveness.RUNNING:
                reason = f"the service is already running on this store (process {holder})"
            raise ServiceControlError(f"the service did not start: {reason} (log: {log_file})")
        time.sleep(POLL_SECONDS)
    raise ServiceControlError(
        f"the service did not answer within {timeout:.0f} s (process {child.pid}; log: {log_file})"
    )


def wait_stopped(paths: DataPaths, pid: int | None, timeout: float) -> None:
    """Wait until the store's service lock is free; :class:`ServiceControlError` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if known_state(paths).liveness is Liveness.STOPPED:
            return
        time.sleep(POLL_SECONDS)
    raise ServiceControlError(f"the service (process {pid}) did not stop within {timeout:g} s")


def _last_error_line(log_file: Path) -> str:
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    for line in reversed(lines[-20:]):
        if "error" in line.lower():
            return line.removeprefix("lls: error: ").strip()
    return lines[-1].strip() if lines else ""
