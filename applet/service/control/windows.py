"""The service as the Windows service ``LicenseService``: its registration with the Service Control
Manager (through the stock ``sc.exe``), and the host the SCM starts.

The SCM starts the program named in the service's ``binPath`` and expects it to answer the service
protocol (start, stop, shutdown) within 30 seconds; ``lls service run`` alone does not. So:

* ``lls.exe --windows-service install [--data-dir DIR] [--port N] [--startup automatic|manual|disabled]``
  (administrator prompt) registers the service with ``sc.exe``; ``... remove`` deletes it. From a wheel
  the same is ``python -m applet.service.control.windows install ...``. ``lls service startup TYPE``
  then changes only the start type (:func:`set_start_type`).
* The registered ``binPath`` is ``lls.exe --windows-service --data-dir DIR`` in the frozen folder, or
  ``python -m applet.service.control.windows --data-dir DIR``; both host the same
  :class:`applet.service.runner.Service` as ``lls service run`` with pywin32's ``servicemanager``, and a
  stop request from the SCM asks its event loop to stop, so the last usage batch is written and the
  store unlocked exactly as on SIGTERM. (Services registered by earlier releases name
  ``python -m applet.winservice``, which still starts this same host.)

The event-log source ``LicenseService`` is registered by the service's Windows sink when it starts
(applet/service/sinks.py), with the service's LocalSystem rights.

Names keep the original's, so existing monitoring rules keep matching. The command lines are plain data,
built by plain functions and tested on any platform; running them needs Windows (checked in :func:`main`).
"""

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from applet.service.control import ServiceControlError

SERVICE_NAME = "LicenseService"
SERVICE_DISPLAY_NAME = "License Logging Service"
SERVICE_DESCRIPTION = "Counts client use of licensed server products and warns when it exceeds the licenses."
# lls's startup types as sc.exe's start= values.
START_TYPES = {"automatic": "auto", "manual": "demand", "disabled": "disabled"}
# sc.exe's exit code when "create" finds the service already registered.
ERROR_SERVICE_EXISTS = 1073
# The module a wheel install's binPath runs (``python -m``): this one.
HOST_MODULE = "applet.service.control.windows"


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


WINDOWS_SERVICE_FLAG = "--windows-service"


def host_command_line(data_dir: Path, port: int | None = None) -> str:
    """The service's ``binPath``: the program the SCM starts, as one Windows command line."""
    from applet.programs import is_frozen, lls_executable

    if is_frozen():
        # Frozen, lls.exe and licensing.exe sit side by side; this may run in either.
        host = [str(lls_executable("win32")), WINDOWS_SERVICE_FLAG]
    else:
        host = [sys.executable, "-m", HOST_MODULE]
    options = ["--data-dir", str(data_dir)] + (["--port", str(port)] if port is not None else [])
    return subprocess.list2cmdline([*host, *options])


def install_commands(data_dir: Path, startup: str, port: int | None = None) -> list[list[str]]:
    """``sc.exe`` calls that register ``LicenseService`` (create, then set every option again, so that
    installing over an earlier registration updates it: ``run_sc`` runs ``config`` only then).

    ``sc.exe`` wants each option as ``name=`` followed by its value as a separate argument.
    """
    if startup not in START_TYPES:
        raise ValueError(f"unknown startup type {startup!r}: use automatic, manual or disabled")
    start = START_TYPES[startup]
    bin_path = host_command_line(data_dir, port)
    service = ["sc.exe", "create", SERVICE_NAME, "binPath=", bin_path, "start=", start]
    return [
        [*service, "DisplayName=", SERVICE_DISPLAY_NAME],
        ["sc.exe", "config", SERVICE_NAME, "binPath=", bin_path, "start=", start],
        ["sc.exe", "description", SERVICE_NAME, SERVICE_DESCRIPTION],
        # Restart after a crash, like the systemd unit's Restart=on-failure: 5 s, 5 s, then 60 s.
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


def remove_commands() -> list[list[str]]:
    """``sc.exe`` calls that stop and delete ``LicenseService``."""
    return [["sc.exe", "stop", SERVICE_NAME], ["sc.exe", "delete", SERVICE_NAME]]


def build_parser() -> argparse.ArgumentParser:
    """``lls --windows-service [install|remove] [--data-dir DIR] [--startup TYPE]``."""
    parser = argparse.ArgumentParser(prog="lls --windows-service", description=__doc__.splitlines()[0])
    parser.add_argument(WINDOWS_SERVICE_FLAG, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "action", nargs="?", choices=("install", "remove"), help="without one: host for the SCM"
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the store's folder (default: the machine-wide one)"
    )
    parser.add_argument(
        "--port", type=_tcp_port, help="the service's TCP port (default 8765, as `lls service run`)"
    )
    parser.add_argument("--startup", choices=tuple(START_TYPES), default="automatic")
    return parser


def _tcp_port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def service_data_dir(data_dir: str | None) -> Path:
    """The store the service uses: ``--data-dir``, else the machine-wide store (``data_dir`` of
    ``%ProgramData%\\Licensing\\licensing.toml``, else ``%ProgramData%\\Licensing``)."""
    from applet.store.paths import machine_store_dir

    return Path(data_dir).absolute() if data_dir else machine_store_dir()


def main(argv: Sequence[str] | None = None) -> int:
    """Install, remove, or host the service; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    # The service's modules never print (they log); this entry's one-line refusals go to stderr through
    # its own argparse parser, like its usage errors.
    if sys.platform != "win32":
        parser.exit(2, "lls: error: --windows-service works only on Windows\n")
    data_dir = service_data_dir(args.data_dir)
    try:
        if args.action == "install":
            run_sc(install_commands(data_dir, args.startup, args.port))
        elif args.action == "remove":
            run_sc(remove_commands(), tolerate_first=True)
        else:
            return _host(parser, data_dir, args.port)
    except ServiceControlError as error:
        parser.exit(1, f"lls: error: {error}\n")
    return 0


def _host(parser: argparse.ArgumentParser, data_dir: Path, port: int | None) -> int:
    try:
        import servicemanager  # type: ignore[import-untyped]
    except ImportError:
        parser.exit(1, "lls: error: pywin32 is missing: pip install 'licensing[windows]'\n")
    servicemanager.Initialize()
    servicemanager.PrepareToHostSingle(_service_class(data_dir, port))
    servicemanager.StartServiceCtrlDispatcher()
    return 0


def _service_class(data_dir: Path, port: int | None) -> type:
    """The pywin32 service class; built here because its base class exists only on Windows."""
    import asyncio

    import win32service  # type: ignore[import-untyped]
    import win32serviceutil  # type: ignore[import-untyped]

    from applet.service.runner import Service
    from applet.service.settings import DEFAULT_PORT, ServiceSettings
    from applet.store.config import load_configuration
    from applet.store.paths import resolve_paths

    class LicenseWindowsService(win32serviceutil.ServiceFramework):  # type: ignore[misc]  # pywin32: untyped
        # pywin32 calls the methods by these names: SvcDoRun, SvcStop, SvcShutdown.
        _svc_name_ = SERVICE_NAME
        _svc_display_name_ = SERVICE_DISPLAY_NAME

        def __init__(self, args: list[str]) -> None:
            super().__init__(args)
            self._loop: asyncio.AbstractEventLoop | None = None
            self._service: Service | None = None
            self._stop_requested = False

        def SvcDoRun(self) -> None:
            asyncio.run(self._serve())

        async def _serve(self) -> None:
            self._loop = asyncio.get_running_loop()
            # The configuration file's host, port, TLS, timing and replication, as `lls service run`
            # reads them; a --port given at install outranks the file's.
            settings, explicit = ServiceSettings(
                port=DEFAULT_PORT if port is None else port, foreground=False
            ).with_configuration(load_configuration(), set() if port is None else {"port"})
            settings.check()
            self._service = Service(resolve_paths(data_dir), settings, explicit)
            await self._service.start()
            self.ReportServiceStatus(win32service.SERVICE_RUNNING)
            if self._stop_requested:  # the SCM asked to stop while the service was starting
                self._service.request_stop()
            await self._service.run_until_stopped()

        def SvcStop(self) -> None:
            self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
            self._stop_requested = True
            if self._loop is not None and self._service is not None:
                self._loop.call_soon_threadsafe(self._service.request_stop)

        SvcShutdown = SvcStop  # the machine is shutting down

    return LicenseWindowsService


if __name__ == "__main__":
    raise SystemExit(main())
