"""Frozen entry of the console executable ``lls``: the CLI and the service (``lls service run``).

On Windows, ``lls.exe --windows-service`` is the program the Service Control Manager starts for the
``LicenseService`` service (applet/service/control/windows.py).
"""

import sys

from applet.cli.main import main

if __name__ == "__main__":
    if sys.platform == "win32":
        # A frozen Windows program that may spawn multiprocessing children must call this first
        # (PyInstaller's "Common Issues and Pitfalls"); elsewhere it is a no-op, so skip the import.
        import multiprocessing

        multiprocessing.freeze_support()
        if sys.argv[1:2] == ["--windows-service"]:
            from applet.service.control.windows import main as windows_service_main

            raise SystemExit(windows_service_main())
    if sys.argv[1:3] == ["-m", "applet"]:
        # `sys.executable -m applet ...` from code written for a source install: the same as lls.
        del sys.argv[1:3]
    raise SystemExit(main())
