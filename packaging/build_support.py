"""Helpers of packaging/licensing.spec: what goes into dist/Licensing/ and what is left out.

Kept out of the spec so that tests/packaging can check them without running PyInstaller. The folder
``packaging/`` is deliberately not a Python package (it would shadow PyPI's ``packaging``); the spec
and the tests load this file by path.
"""

import importlib.util
import re
import sys
from collections.abc import Iterable
from pathlib import Path

# Qt modules the application may import are found by reading applet/ui; every other PySide6 module is
# excluded, so that PyInstaller's PySide6 hooks never collect their libraries and plugins.
QT_IMPORT = re.compile(r"\bPySide6\.(Qt[A-Za-z0-9]+)\b")

# Python modules no part of the product uses, and that would otherwise be collected because something
# in the standard library or a dependency mentions them.
EXCLUDED_STDLIB = ["tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data", "test"]

# Packages of the build's environment (the test extras: schemathesis brings pydantic, mypy brings
# ast_serialize, pytest plugins hypothesis and PyYAML) that Licensing never imports, but that optional
# imports of its dependencies reach: yarl looks for pydantic_core and imports pydantic when found (then
# pydantic's mypy plugin and hypothesis plugin follow), msgspec.yaml imports yaml. About 11 MB of the
# Linux folder. Left out, yarl finds no pydantic_core and msgspec.yaml is never used.
EXCLUDED_OPTIONAL = ["pydantic", "pydantic_core", "mypy", "ast_serialize", "hypothesis", "yaml"]

# Qt shared libraries pulled in through transitive links of the PySide6 wheels (pyinstaller#6447: the
# Linux wheels link QtGui's plugins against QML and Quick) although nothing in Licensing uses them.
# Matched against the file name, so both libQt6Qml.so.6 (Linux) and Qt6Qml.dll (Windows) are caught.
UNUSED_QT_LIBRARY = re.compile(
    r"Qt6(Qml|Quick|Pdf|VirtualKeyboard|Designer|Help|Labs|Lottie|ShaderTools|Sql|Test|UiTools|"
    r"WaylandCompositor|3D|Multimedia|WebEngine|WebChannel|WebSockets|Charts|DataVisualization|Graphs)"
)
# Qt plugin folders nothing uses: QML tooling, SQL drivers, Designer, Lottie vector images (needs Quick),
# the Wayland compositor side, the embedded-device input drivers (evdev/tuio, for eglfs and linuxfb only)
# and their EGL device integrations.
UNUSED_QT_PLUGIN_DIRS = frozenset(
    {
        "qmltooling",
        "sqldrivers",
        "designer",
        "vectorimageformats",
        "wayland-graphics-integration-server",
        "generic",
        "egldeviceintegrations",
    }
)
# Single plugins nothing uses, as "folder/stem" (stem without the lib prefix and the suffix):
# * platforms: a desktop needs xcb or wayland, tests and the smoke run offscreen, scripts minimal;
#   eglfs, linuxfb, vnc and the Vulkan display are for embedded devices and remote framebuffers;
# * platformthemes/qgtk3: loads GTK 3 from the host, and bundling its cairo/pango/atk dependencies without
#   GTK itself (about 6 MB) only risks mixing library versions; the XDG portal theme stays;
# * imageformats: Licensing's images are SVG, PNG and ICO; TIFF, WebP, ICNS, TGA and WBMP readers go.
UNUSED_QT_PLUGINS = frozenset(
    {
        "platforms/qeglfs",
        "platforms/qlinuxfb",
        "platforms/qminimalegl",
        "platforms/qvkkhrdisplay",
        "platforms/qvnc",
        "platforms/qdirect2d",
        "platformthemes/qgtk3",
        "imageformats/qtiff",
        "imageformats/qwebp",
        "imageformats/qicns",
        "imageformats/qtga",
        "imageformats/qwbmp",
    }
)
# Qt libraries used only by the plugins dropped above.
UNUSED_QT_LIBRARY_OF_PLUGINS = re.compile(r"Qt6(EglFSDeviceIntegration|EglFsKmsSupport)")


def qt_modules_used(root: Path) -> set[str]:
    """The ``PySide6.Qt*`` modules imported anywhere under applet/ (in practice: applet/ui)."""
    used: set[str] = set()
    for source in (root / "applet").rglob("*.py"):
        used.update(QT_IMPORT.findall(source.read_text(encoding="utf-8")))
    return used


def qt_modules_installed() -> set[str]:
    """The ``Qt*`` extension modules of the installed PySide6 wheel."""
    # Located without importing it (the build helpers never load Qt).
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("PySide6 is not installed in the build environment")
    folder = Path(next(iter(spec.submodule_search_locations)))
    names = {path.name.split(".", 1)[0] for path in folder.iterdir() if path.name.startswith("Qt")}
    return {name for name in names if name != "Qt"}


def excluded_modules(root: Path) -> list[str]:
    """Modules PyInstaller must not collect: unused Qt modules, parts of the standard library, and
    packages only optional imports of our dependencies reach (:data:`EXCLUDED_OPTIONAL`)."""
    # QtCore, QtGui and QtWidgets always stay: the others depend on them.
    needed = qt_modules_used(root) | {"QtCore", "QtGui", "QtWidgets"}
    unused_qt = sorted(f"PySide6.{name}" for name in qt_modules_installed() - needed)
    return [*EXCLUDED_STDLIB, *EXCLUDED_OPTIONAL, *unused_qt]


def _plugin_key(parts: tuple[str, ...]) -> str | None:
    """``"folder/stem"`` of a Qt plugin path (``.../plugins/platforms/libqvnc.so`` -> ``platforms/qvnc``)."""
    if "plugins" not in parts:
        return None
    index = parts.index("plugins")
    if index + 2 >= len(parts):
        return None
    stem = parts[index + 2].split(".", 1)[0]
    stem = stem.removeprefix("lib")
    # Windows debug/release suffixes are not shipped in the wheels; the stem is the plugin's name.
    return f"{parts[index + 1]}/{stem}"


def _is_unused_qt_file(destination: str) -> bool:
    path = Path(destination.replace("\\", "/"))
    parts = path.parts
    if UNUSED_QT_LIBRARY.search(path.name) or UNUSED_QT_LIBRARY_OF_PLUGINS.search(path.name):
        return True
    if "plugins" in parts:
        index = parts.index("plugins")
        if index + 1 < len(parts) and parts[index + 1] in UNUSED_QT_PLUGIN_DIRS:
            return True
        if _plugin_key(parts) in UNUSED_QT_PLUGINS:
            return True
    # The QML import tree (PySide6/Qt/qml/...) is only for QtQuick applications.
    return "qml" in parts and "PySide6" in parts


def filter_binaries(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop unused Qt libraries and plugins from an Analysis' ``binaries`` (dest, source, kind)."""
    return [entry for entry in entries if not _is_unused_qt_file(entry[0])]


def prune_orphan_libraries(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop the top-level shared libraries that no kept binary needs any more (Linux only).

    PyInstaller collects the link-time dependencies of every plugin before the spec can filter the
    plugins, so dropping the GTK 3 theme plugin leaves cairo, pango and friends behind. Walk the links
    again from what is kept: the Python extensions, Qt's libraries and plugins, and libpython.
    """
    entries = list(entries)
    if not sys.platform.startswith("linux"):
        return entries
    from PyInstaller.depend.bindepend import get_imports  # type: ignore[import-untyped]

    def collected_dependency(entry: tuple[str, str, str]) -> bool:
        # A library PyInstaller found through links lands at the top of _internal/; libpython is
        # loaded by the bootloader and linked by nothing, so it is a root.
        name = Path(entry[0]).name
        return entry[2] == "BINARY" and len(Path(entry[0]).parts) == 1 and not name.startswith("libpython")

    by_name = {Path(entry[0]).name: entry for entry in entries if collected_dependency(entry)}
    reached: set[str] = set()
    pending = [entry[1] for entry in entries if not collected_dependency(entry) and entry[2] == "BINARY"]
    while pending:
        for name, _path in get_imports(pending.pop()):
            base = Path(name).name
            if base in by_name and base not in reached:
                reached.add(base)
                pending.append(by_name[base][1])
    return [entry for entry in entries if not collected_dependency(entry) or Path(entry[0]).name in reached]


def filter_datas(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop QML files and the translations of unused Qt modules from an Analysis' ``datas``."""
    kept = []
    for entry in entries:
        destination = entry[0]
        if _is_unused_qt_file(destination):
            continue
        name = Path(destination).name
        # Qt ships translations for every module; Licensing needs only qtbase_* (message box buttons).
        if (
            "translations" in Path(destination).parts
            and name.endswith(".qm")
            and not name.startswith("qtbase_")
        ):
            continue
        kept.append(entry)
    return kept


# Files under resources/ that are sources for developers (Qt Linguist .ts, notes), not shipped.
RESOURCE_SOURCE_SUFFIXES = frozenset({".ts", ".md", ".qrc", ".pro"})


def data_files(root: Path) -> list[tuple[str, str]]:
    """``(source, destination folder)`` pairs for the spec's ``datas``."""
    pairs: list[tuple[str, str]] = []
    resources = root / "resources"
    # File by file, leaving out what is only for developers (translation sources and the like), the
    # same rule as the wheel's data files (tests/packaging/test_wheel.py).
    for path in sorted(resources.rglob("*")):
        if path.is_file() and path.suffix not in RESOURCE_SOURCE_SUFFIXES:
            pairs.append((str(path), str(Path("resources") / path.parent.relative_to(resources))))
    # The Linux desktop integration travels with the folder so that packaging/linux/install.sh, copied
    # along, can install it from there.
    pairs.append((str(root / "packaging" / "linux"), "linux"))
    return pairs


def windows_version_text(version: str, product: str = "Licensing") -> str:
    """The text of a PyInstaller version resource file (VSVersionInfo) for ``version`` ("1.2.3")."""
    numbers = [int(part) for part in re.findall(r"\d+", version)[:4]]
    numbers += [0] * (4 - len(numbers))
    tuple_text = "({}, {}, {}, {})".format(*numbers)
    dotted = ".".join(str(number) for number in numbers)
    template = (Path(__file__).parent / "windows" / "version_info.txt.in").read_text(encoding="utf-8")
    return (
        template.replace("@VERSION_TUPLE@", tuple_text)
        .replace("@VERSION@", dotted)
        .replace("@PRODUCT@", product)
    )


def windows_version_file(root: Path, workpath: str) -> str:
    """Write the version resource for the executables into the build folder; return its path."""
    sys.path.insert(0, str(root))
    from applet import __version__

    target = Path(workpath) / "version_info.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(windows_version_text(__version__), encoding="utf-8")
    return str(target)


def windows_icon(root: Path, workpath: str) -> str:
    """Render the application's SVG icon to a multi-size .ico in the build folder; return its path."""
    sys.path.insert(0, str(Path(__file__).parent))
    from make_icons import render_ico

    target = Path(workpath) / "licensing.ico"
    render_ico(application_svg(root), target)
    return str(target)


def application_svg(root: Path) -> Path:
    """The application icon's SVG source."""
    return root / "resources" / "icons" / "licensing.svg"
