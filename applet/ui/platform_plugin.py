"""Start Qt's platform plugin, or say in one line why it cannot start (instead of Qt's abort).

When the platform plugin (``xcb`` on an X11 desktop, ``wayland``, ...) cannot load or cannot reach a
display, ``QApplication()`` prints several lines of advice, some of it wrong (Qt 6.5+ always blames
``libxcb-cursor0``, whichever library is really missing), and aborts with a core dump. Here the
construction runs under a Qt message handler: Qt's messages are held back, and on Qt's fatal message the
program prints one line naming what is missing (the shared libraries the plugin cannot find, with the
Debian packages that ship them, or the display it cannot reach) and exits 1.

Nothing is checked up front: a start that works costs nothing extra. The diagnosis runs only on the way
out, with ``ldd`` (present on every glibc system) on the plugin Qt named, else the dynamic loader's own
error from loading the plugin with ctypes.
"""

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QLibraryInfo, QMessageLogContext, QtMsgType, qInstallMessageHandler

Application = TypeVar("Application")

# Qt's message when a plugin file was found but the dynamic loader refused it.
_FOUND_BUT_NOT_LOADED = re.compile(r'Could not load the Qt platform plugin "([^"]+)" in "([^"]*)"')
_NOT_FOUND = re.compile(r'Could not find the Qt platform plugin "([^"]+)"')
# The dynamic loader's error for a missing dependency (dlopen, as ctypes reports it).
_LOADER_MISSING = re.compile(r"(\S+\.so[.0-9]*): cannot open shared object file")
# Libraries that come with PySide6 itself: a missing one means a broken install, not a Debian package.
_BUNDLED_PREFIXES = ("libQt6", "libpyside6", "libshiboken6", "libicu")


def start_platform(create: Callable[[], Application], program: str) -> Application:
    """Run ``create`` (which constructs the QApplication); on a platform plugin failure exit 1 with one line.

    Qt's own messages during a successful start are passed on to stderr afterwards, unchanged.
    """
    held: list[str] = []

    def hold(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        held.append(message)
        if kind == QtMsgType.QtFatalMsg:
            # Qt aborts when this handler returns: leave first, with the one line.
            sys.stdout.flush()
            print(f"{program}: error: {diagnose(held)}", file=sys.stderr, flush=True)
            os._exit(1)

    previous = qInstallMessageHandler(hold)
    try:
        application = create()
    finally:
        qInstallMessageHandler(previous)
    for message in held:
        print(message, file=sys.stderr)
    return application


def diagnose(qt_messages: list[str]) -> str:
    """One line saying why the platform plugin did not start, from Qt's messages during the attempt."""
    text = "\n".join(qt_messages)
    display = os.environ.get("DISPLAY", "")
    if "could not connect to display" in text:
        where = f"the X display {display}" if display else "an X display (DISPLAY is unset)"
        return f"cannot connect to {where}; run it on a desktop session, or use `lls` on a server without one"
    found = _FOUND_BUT_NOT_LOADED.search(text)
    if found:
        name, folder = found.groups()
        plugin = platform_plugin_file(name, folder)
        missing = missing_libraries(plugin) if plugin else []
        if missing:
            return f'the Qt platform plugin "{name}" cannot load: {missing_advice(missing)}'
    not_found = _NOT_FOUND.search(text)
    if not_found:
        return (
            f'no Qt platform plugin "{not_found.group(1)}" (QT_QPA_PLATFORM); '
            "xcb (X11), wayland and offscreen are the usual ones"
        )
    name = found.group(1) if found else os.environ.get("QT_QPA_PLATFORM", "default")
    detail = next((line for line in qt_messages if line.strip()), "no reason given")
    return f'the Qt platform plugin "{name}" could not start: {" ".join(detail.split())}'


def platform_plugin_file(name: str, folder: str = "") -> Path | None:
    """The file of platform plugin ``name`` in ``folder`` (Qt's own plugin folder when empty)."""
    search = (
        Path(folder)
        if folder
        else Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    )
    candidate = search / f"libq{name}.so"
    return candidate if candidate.is_file() else None


def missing_libraries(library: Path) -> list[str]:
    """The shared libraries ``library`` needs that the dynamic loader cannot find (in ``ldd`` order)."""
    # Imported here, on the failure path only: a start that works never pays for them (~14 ms).
    import ctypes
    import subprocess

    try:
        listed = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        listed = ""
    missing = [line.split()[0] for line in listed.splitlines() if "=> not found" in line]
    if missing or listed:
        return list(dict.fromkeys(missing))
    try:  # no ldd: the loader names the first missing library
        ctypes.CDLL(str(library))
    except OSError as error:
        match = _LOADER_MISSING.search(str(error))
        if match:
            return [match.group(1)]
    return []


def debian_package(soname: str) -> str | None:
    """The Debian package that ships ``soname`` by Debian's library naming rule (None: bundled with Qt).

    ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``; ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``.
    """
    if soname.startswith(_BUNDLED_PREFIXES) or ".so." not in soname:
        return None
    stem, version = soname.split(".so.", 1)
    major = version.split(".", 1)[0]
    return f"{stem.lower()}{'-' if stem[-1].isdigit() else ''}{major}"


def missing_advice(missing: list[str]) -> str:
    """``libA.so.1, libB.so.4 missing (Debian/Ubuntu: apt-get install liba1 libb4)``, or a reinstall hint."""
    packages = [package for package in map(debian_package, missing) if package]
    advice = f"{', '.join(missing)} missing"
    if packages:
        advice += f" (Debian/Ubuntu: apt-get install {' '.join(packages)}; see the README's Prerequisites)"
    if len(packages) < len(missing):
        advice += "; Qt's own libraries are incomplete: reinstall PySide6-Essentials or the Licensing folder"
    return advice
