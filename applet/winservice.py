"""The License Logging service hosted by the Windows Service Control Manager (service ``LicenseService``).

The SCM starts the program named in the service's ``binPath`` and expects it to answer the service
protocol (start, stop, shutdown) within 30 seconds; ``lls service run`` alone does not, so the service
is registered (``applet.system_integration.windows_service_commands``) as either

* ``lls.exe --windows-service --data-dir DIR`` in the frozen folder (packaging/entries/lls.py), or
* ``python -m applet.winservice --data-dir DIR`` from a wheel with the ``windows`` extra.

Both call :func:`main`, which uses pywin32's ``servicemanager`` and ``win32serviceutil`` and runs the
same :class:`applet.service.runner.Service` as ``lls service run``; a stop request from the SCM asks
the service's event loop to stop, so the last usage batch is written and the store unlocked exactly
as on SIGTERM. Windows only; elsewhere :func:`main` refuses with a one-line message.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

WINDOWS_SERVICE_FLAG = "--windows-service"


def parse_arguments(argv: Sequence[str]) -> Path | None:
    """The ``--data-dir`` of the service's command line (``--windows-service`` is accepted and ignored)."""
    parser = argparse.ArgumentParser(prog="lls --windows-service", add_help=False)
    parser.add_argument(WINDOWS_SERVICE_FLAG, action="store_true")
    parser.add_argument("--data-dir", metavar="DIR")
    args = parser.parse_args(list(argv))
    return Path(args.data_dir) if args.data_dir else None


def main(argv: Sequence[str] | None = None) -> int:
    """Host the service for the SCM until it is stopped; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if sys.platform != "win32":
        print(
            "lls: error: --windows-service runs only under the Windows Service Control Manager",
            file=sys.stderr,
        )
        return 2
    data_dir = parse_arguments(arguments)
    try:
        import servicemanager  # type: ignore[import-not-found]
    except ImportError:
        print("lls: error: pywin32 is missing: pip install 'licensing[windows]'", file=sys.stderr)
        return 1
    service_class = _service_class(data_dir)
    servicemanager.Initialize()
    servicemanager.PrepareToHostSingle(service_class)
    servicemanager.StartServiceCtrlDispatcher()
    return 0


def _service_class(data_dir: Path | None) -> type:
    """The pywin32 service class; built here because its base class exists only on Windows."""
    import asyncio

    import win32service  # type: ignore[import-not-found]
    import win32serviceutil  # type: ignore[import-not-found]

    from applet.service.runner import Service
    from applet.service.settings import ServiceSettings
    from applet.store.paths import resolve_paths
    from applet.system_integration import SERVICE_DISPLAY_NAME, SERVICE_NAME

    class LicenseWindowsService(win32serviceutil.ServiceFramework):  # type: ignore[misc]
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
            self._service = Service(resolve_paths(data_dir), ServiceSettings(foreground=False))
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

        SvcShutdown = SvcStop

    return LicenseWindowsService


if __name__ == "__main__":
    raise SystemExit(main())
