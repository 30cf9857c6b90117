"""What the PyInstaller spec keeps and drops, the Windows version resource, and the .ico writer."""

import ast
import struct
from pathlib import Path
from types import ModuleType

import pytest


def test_every_qt_module_the_code_imports_is_kept(build_support: ModuleType, repo_root: Path) -> None:
    excluded = set(build_support.excluded_modules(repo_root))
    used = build_support.qt_modules_used(repo_root)
    assert {"QtCore", "QtWidgets"} <= used
    assert not {f"PySide6.{name}" for name in used} & excluded
    # What a Qt Widgets program never needs is left out, and so is tkinter.
    assert {"PySide6.QtQml", "PySide6.QtQuick", "tkinter"} <= excluded


def test_optional_packages_left_out_are_never_imported_by_licensing(
    build_support: ModuleType, repo_root: Path
) -> None:
    # Left out of the frozen folder because only optional imports of dependencies reach them: the
    # application itself must never import one, or the frozen programs would fail where the source runs.
    imported: set[str] = set()
    for source in (repo_root / "applet").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert {"aiohttp", "msgspec", "PySide6"} <= imported
    assert not imported & set(build_support.EXCLUDED_OPTIONAL)
    assert set(build_support.EXCLUDED_OPTIONAL) <= set(build_support.excluded_modules(repo_root))


def test_qt_module_scan_reads_import_lines(build_support: ModuleType, tmp_path: Path) -> None:
    package = tmp_path / "applet" / "ui"
    package.mkdir(parents=True)
    (package / "view.py").write_text(
        "from PySide6.QtSvgWidgets import QSvgWidget\nimport PySide6.QtCharts\nfrom PySide6 import QtGui\n",
        encoding="utf-8",
    )
    assert build_support.qt_modules_used(tmp_path) == {"QtSvgWidgets", "QtCharts"}


@pytest.mark.parametrize(
    "destination",
    [
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6/Qt/lib/libQt6QuickControls2.so.6",
        "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/imageformats/libqtiff.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/plugins/generic/libqevdevmouseplugin.so",
        "PySide6\\plugins\\imageformats\\qwebp.dll",
        "PySide6\\Qt6Quick.dll",
    ],
)
def test_unused_qt_files_are_dropped(build_support: ModuleType, destination: str) -> None:
    entry = (destination, "/src/" + destination, "BINARY")
    assert build_support.filter_binaries([entry]) == []


@pytest.mark.parametrize(
    "destination",
    [
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/imageformats/libqico.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
        "libpython3.11.so.1.0",
    ],
)
def test_what_a_widgets_program_needs_is_kept(build_support: ModuleType, destination: str) -> None:
    entry = (destination, "/src/" + destination, "BINARY")
    assert build_support.filter_binaries([entry]) == [entry]


def test_only_qtbase_translations_are_kept(build_support: ModuleType) -> None:
    datas = [
        ("PySide6/Qt/translations/qtbase_de.qm", "/src/a", "DATA"),
        ("PySide6/Qt/translations/qtdeclarative_de.qm", "/src/b", "DATA"),
        ("PySide6/Qt/qml/QtQuick/qmldir", "/src/c", "DATA"),
        ("resources/icons/licensing.svg", "/src/d", "DATA"),
    ]
    kept = [entry[0] for entry in build_support.filter_datas(datas)]
    assert kept == ["PySide6/Qt/translations/qtbase_de.qm", "resources/icons/licensing.svg"]


def test_resources_and_desktop_files_travel_with_the_folder(
    build_support: ModuleType, repo_root: Path
) -> None:
    pairs = build_support.data_files(repo_root)
    # resource_path() looks for sys._MEIPASS/resources when frozen (applet/resources.py).
    assert (str(repo_root / "resources" / "icons" / "licensing.svg"), "resources/icons") in pairs
    assert (str(repo_root / "resources" / "systemd" / "licensing.service.in"), "resources/systemd") in pairs
    assert (str(repo_root / "packaging" / "linux"), "linux") in pairs
    # Translation sources stay in the source tree.
    assert not [source for source, _ in pairs if source.endswith(".ts")]


class _Recorder:
    """Stands in for each PyInstaller VSVersionInfo class: keeps its arguments."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args = args
        self.kwargs = kwargs


def _evaluate_version_text(text: str) -> _Recorder:
    tree = ast.parse(text, mode="eval")
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert names <= {
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    }
    namespace = {name: _Recorder for name in names}
    result = eval(compile(tree, "version_info.txt", "eval"), {"__builtins__": {}}, namespace)
    assert isinstance(result, _Recorder)
    return result


def test_windows_version_resource_carries_the_package_version(build_support: ModuleType) -> None:
    # PyInstaller reads this file with eval() over its VSVersionInfo classes (Windows only); the same
    # evaluation with recording classes checks the syntax and the values on any platform.
    info = _evaluate_version_text(build_support.windows_version_text("2.5.1"))
    fixed = info.kwargs["ffi"]
    assert isinstance(fixed, _Recorder)
    assert fixed.kwargs["filevers"] == (2, 5, 1, 0)
    assert fixed.kwargs["prodvers"] == (2, 5, 1, 0)
    string_table = info.kwargs["kids"][0].args[0][0]  # type: ignore[index]
    strings = {item.args[0]: item.args[1] for item in string_table.args[1]}
    assert strings["ProductName"] == "Licensing"
    assert strings["FileVersion"] == "2.5.1.0"


def test_windows_version_file_uses_applet_version(
    build_support: ModuleType, repo_root: Path, tmp_path: Path
) -> None:
    from applet import __version__

    written = Path(build_support.windows_version_file(repo_root, str(tmp_path)))
    fixed = _evaluate_version_text(written.read_text(encoding="utf-8")).kwargs["ffi"]
    expected = tuple(int(part) for part in __version__.split("."))
    assert fixed.kwargs["filevers"][: len(expected)] == expected  # type: ignore[attr-defined]


def test_ico_holds_every_size_and_qt_reads_it(
    make_icons: ModuleType, repo_root: Path, tmp_path: Path, qapp: object
) -> None:
    # qapp first: make_icons would otherwise create a QGuiApplication, and later widget tests need a
    # QApplication in this process.
    from PySide6.QtGui import QImageReader

    target = tmp_path / "licensing.ico"
    make_icons.render_ico(repo_root / "resources" / "icons" / "licensing.svg", target)
    data = target.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    sizes = []
    for index in range(count):
        width, _height, _colours, _zero, _planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        sizes.append(width or 256)
        assert bits == 32
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
    assert sizes == sorted(make_icons.ICO_SIZES)
    reader = QImageReader(str(target))
    assert reader.imageCount() == count
    image = reader.read()
    assert not image.isNull(), reader.errorString()


def test_ico_refuses_impossible_sizes(make_icons: ModuleType) -> None:
    with pytest.raises(ValueError, match="1 to 256"):
        make_icons.ico_bytes({512: b"png"})


def test_unreadable_svg_is_reported(make_icons: ModuleType, tmp_path: Path, qapp: object) -> None:
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg", encoding="utf-8")
    with pytest.raises(ValueError, match="not a readable SVG"):
        make_icons.render_png(broken, 16)


def test_packaging_extra_satisfies_the_build_system(repo_root: Path) -> None:
    # test_wheel builds with --no-isolation: the packaging extra must bring what [build-system] requires.
    import tomllib

    config = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    extra = set(config["project"]["optional-dependencies"]["packaging"])
    assert set(config["build-system"]["requires"]) <= extra
