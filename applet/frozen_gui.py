"""The windowed executable of the frozen folder: the Licensing applet, or License Manager with ``--manager``.

PyInstaller makes one executable per entry script; the folder ships one windowed program (``licensing``)
for both windows, so this module picks the window from the command line and hands over to the same
``main`` functions that the ``licensing`` and ``license-manager`` entry points of the wheel call.
"""

import importlib
import os
import sys
from collections.abc import Callable, Sequence

# The [project.gui-scripts] targets of pyproject.toml (tests/packaging checks that they agree).
APPLET_ENTRY = "applet.ui.licensing_main:main"
MANAGER_ENTRY = "applet.ui.manager.main:main"
MANAGER_FLAG = "--manager"
PYTHON_MODULE_PREFIX = ["-m", "applet"]


def choose_entry(arguments: Sequence[str]) -> tuple[str, list[str]]:
    """The entry point to run and the arguments to pass on (``--manager`` removed)."""
    rest = [argument for argument in arguments if argument != MANAGER_FLAG]
    return (MANAGER_ENTRY if len(rest) != len(arguments) else APPLET_ENTRY), rest


def load_entry(entry: str) -> Callable[[], int | None]:
    """Import ``module:function`` and return the function."""
    module_name, _, function_name = entry.partition(":")
    function: Callable[[], int | None] = getattr(importlib.import_module(module_name), function_name)
    return function


def _give_windowed_streams() -> None:
    # A windowed Windows executable has no console: sys.stdout and sys.stderr are None, and the first
    # print() or logging.StreamHandler write would raise. Send them to the null device instead.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives for the process


def main(argv: Sequence[str] | None = None) -> int:
    """Run the window the command line asks for and return its exit code."""
    _give_windowed_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:2] == PYTHON_MODULE_PREFIX:
        # `sys.executable -m applet ...` is how code started from source runs `lls` (License Manager's
        # "start the service", for one); frozen, sys.executable is this program, so honour it here.
        from applet.cli.main import main as lls_main
        from applet.programs import is_frozen, lls_executable

        if is_frozen():
            # ...and act as the `lls` beside it, so that whatever lls spawns in turn (`service start`
            # runs `[sys.executable] service run`) is the console program, not this windowed one.
            sys.executable = str(lls_executable())
        return lls_main(arguments[2:])
    entry, rest = choose_entry(arguments)
    # The GUI entry points read sys.argv themselves (like every console_scripts/gui_scripts target).
    sys.argv = [sys.argv[0], *rest]
    return load_entry(entry)() or 0
