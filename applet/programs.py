"""How Licensing runs its command-line program ``lls`` again, from whichever of its programs is running.

From source or a wheel, ``lls`` is this interpreter with ``-m applet``. Frozen (PyInstaller), the folder
holds the console ``lls`` and the windowed ``licensing`` (which is License Manager too) side by side, and
``sys.executable`` is whichever of them runs, so the sibling ``lls`` is named explicitly. The background
start of the service, its systemd unit and Windows service, the windowed program's ``-m applet`` and
License Manager's Start Service button all take the path from here.

Like :mod:`applet.resources`, this module sits outside the layers and imports nothing heavy.
"""

import sys
from pathlib import Path


def is_frozen() -> bool:
    """True in the PyInstaller folder (``sys.frozen`` is set by its bootloader)."""
    return bool(getattr(sys, "frozen", False))


def lls_executable(platform: str | None = None) -> Path:
    """The frozen folder's ``lls`` (``lls.exe`` on Windows; ``platform`` defaults to this one), next to the
    running executable."""
    windows = (platform or sys.platform) == "win32"
    return Path(sys.executable).with_name("lls.exe" if windows else "lls")


def lls_command() -> list[str]:
    """The command line that runs ``lls``: the frozen sibling, or this interpreter with ``-m applet``."""
    if is_frozen():
        return [str(lls_executable())]
    return [sys.executable, "-m", "applet"]
