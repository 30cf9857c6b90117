"""Smoke test of the Windows folder (dist/windows/Licensing) under Wine: what an administrator copies onto a
Windows server, run here before it ever meets one.

Runs only against a real build (``LLS_WINE_FROZEN_DIR``, set by packaging/windows/smoke-under-wine.sh after
build-under-wine.sh). Every run must exit as expected with no traceback and no unexpected stderr line.
Besides the commands, the Windows-only code paths Wine can run are run: the version resource and icon read
back from the .exe files, the Event Log source registration of the service's sink, and the service
registered with, started and stopped by Wine's service manager. What Wine cannot show is listed in
packaging/windows/README.md.
"""

import json
import re
import socket
import struct
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.packaging.conftest import REPO_ROOT, load_packaging_module
from tests.packaging.test_frozen_smoke import SERVICE_LOG_LINES, unexpected_stderr
from tests.packaging.wine import (
    WINDOWS_STYLE,
    WINE_STDERR,
    qt_settings,
    run_wine,
    windows_path,
    wine_command,
    wine_environment,
    wine_frozen_dir,
    wine_session,
)

# The pictures of the Windows build, for people to look at (README, packaging/windows/README.md).
PICTURES = REPO_ROOT / "build" / "windows-under-wine"
SERVICE_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services\LicenseService"
EVENT_SOURCE_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\LicenseService"
DENIED = [re.compile(r"^lls: denied: ")]


class WineRunner:
    """Runs the Windows folder's programs under Wine on one data folder and checks their output."""

    def __init__(self, folder: Path, data_dir: Path) -> None:
        self.folder = folder
        self.data_dir = data_dir
        self.env = wine_environment()

    def run(
        self,
        program: str,
        *args: str,
        expect: int = 0,
        allowed: Sequence[re.Pattern[str]] = (),
        qt: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        command = wine_command(self.folder / f"{program}.exe", args, qt)
        completed = run_wine(command, self.env, timeout)
        shown = f"{command}\nexit {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n"
        shown += completed.stderr
        assert "Traceback" not in completed.stderr + completed.stdout, shown
        assert completed.returncode == expect, shown
        assert unexpected_stderr(completed.stderr, [*WINE_STDERR, *allowed]) == [], shown
        return completed

    def lls(self, *args: str, **options: object) -> subprocess.CompletedProcess[str]:
        return self.run("lls", "--data-dir", windows_path(self.data_dir), *args, **options)  # type: ignore[arg-type]

    def wine(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A Wine tool (reg, sc, cmd) in the same prefix."""
        return run_wine(["wine", *args], self.env, timeout)


@pytest.fixture(scope="module")
def wine_dir() -> Iterator[Path]:
    folder = wine_frozen_dir()
    with wine_session(wine_environment()):
        yield folder


@pytest.fixture
def wine(wine_dir: Path, tmp_path: Path) -> Iterator[WineRunner]:
    runner = WineRunner(wine_dir, tmp_path / "store")
    yield runner
    # Never leave a background service behind, whatever failed above.
    run_wine(
        wine_command(wine_dir / "lls.exe", ["--data-dir", windows_path(runner.data_dir), "service", "stop"]),
        runner.env,
    )


def _wait_until(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting {timeout:.0f} s for {what}")
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _registry_values(runner: WineRunner, key: str) -> dict[str, str]:
    """``reg query KEY`` as {name: data}; empty when the key does not exist."""
    completed = runner.wine("reg", "query", key)
    values = {}
    for line in completed.stdout.splitlines():
        parts = line.strip().split(None, 2)
        if len(parts) >= 2 and parts[1].startswith("REG_"):
            values[parts[0]] = parts[2] if len(parts) == 3 else ""
    return values


# --- the folder and the .exe files -----------------------------------------------------------------


def test_folder_holds_the_windows_pieces(wine_dir: Path) -> None:
    internal = wine_dir / "_internal"
    qt = internal / "PySide6"
    for piece in (
        qt / "plugins" / "platforms" / "qwindows.dll",  # the real desktop's platform
        qt / "plugins" / "platforms" / "qoffscreen.dll",
        qt / "plugins" / "styles" / "qmodernwindowsstyle.dll",  # windowsvista and windows11
        internal / "win32" / "servicemanager.pyd",  # the service host
        internal / "win32" / "win32evtlog.pyd",  # the Event Log sink and its message file
        internal / "resources" / "icons" / "licensing.svg",
    ):
        assert piece.is_file(), piece
    names = {path.name for path in internal.rglob("*")}
    assert not any(name.startswith(("_tkinter", "Qt6Qml", "Qt6Quick")) for name in names)
    size_mb = sum(path.stat().st_size for path in wine_dir.rglob("*") if path.is_file()) / 1_000_000
    assert size_mb < 120, f"the Windows folder is {size_mb:.0f} MB (target under 120 MB)"


@pytest.mark.parametrize(("program", "subsystem"), [("lls", "console"), ("licensing", "windows")])
def test_version_resource_and_icon_read_back(wine_dir: Path, program: str, subsystem: str) -> None:
    import pefile

    from applet import __version__

    executable = pefile.PE(str(wine_dir / f"{program}.exe"))
    # The windowed program is a GUI-subsystem executable: Windows gives it no console at all.
    expected_subsystem = {"console": 3, "windows": 2}[subsystem]
    assert executable.OPTIONAL_HEADER.Subsystem == expected_subsystem
    strings = {
        key.decode(): value.decode()
        for info in executable.FileInfo[0]
        if info.Key == b"StringFileInfo"
        for table in info.StringTable
        for key, value in table.entries.items()
    }
    numbers = [int(part) for part in re.findall(r"\d+", __version__)[:4]]
    dotted = ".".join(str(number) for number in [*numbers, 0, 0, 0][:4])
    assert strings["FileVersion"] == strings["ProductVersion"] == dotted
    assert strings["ProductName"] == "Licensing"
    fixed = executable.VS_FIXEDFILEINFO[0]
    assert [fixed.FileVersionMS >> 16, fixed.FileVersionMS & 0xFFFF] == [*numbers, 0, 0][:2]

    # The icon: one group whose images are the build's .ico entries, every size of make_icons.py.
    icons: dict[int, bytes] = {}
    groups = []
    for kind in executable.DIRECTORY_ENTRY_RESOURCE.entries:
        for entry in kind.directory.entries:
            for language in entry.directory.entries:
                data = executable.get_data(language.data.struct.OffsetToData, language.data.struct.Size)
                if kind.id == pefile.RESOURCE_TYPE["RT_ICON"]:
                    icons[entry.id] = data
                elif kind.id == pefile.RESOURCE_TYPE["RT_GROUP_ICON"]:
                    groups.append(data)
    assert len(groups) == 1
    _reserved, _type, count = struct.unpack_from("<HHH", groups[0])
    sizes = set()
    for index in range(count):
        width, _height, _colours, _r, _planes, _bits, length, icon_id = struct.unpack_from(
            "<BBBBHHIH", groups[0], 6 + 14 * index
        )
        sizes.add(width or 256)
        png = icons[icon_id]
        assert len(png) == length and png.startswith(b"\x89PNG"), f"icon {icon_id} is not the PNG entry"
    assert sizes == set(load_packaging_module("make_icons").ICO_SIZES)
    built_ico = REPO_ROOT / "build" / "windows-pyinstaller" / "licensing" / "licensing.ico"
    if built_ico.is_file():  # the build's own .ico: the executables carry its very images
        assert sorted(icons.values()) == sorted(_ico_images(built_ico.read_bytes()))


def _ico_images(ico: bytes) -> list[bytes]:
    _reserved, _type, count = struct.unpack_from("<HHH", ico)
    images = []
    for index in range(count):
        *_, length, offset = struct.unpack_from("<BBBBHHII", ico, 6 + 16 * index)
        images.append(ico[offset : offset + length])
    return images


# --- the console program, the store and the background service --------------------------------------


def test_commands_store_service_and_event_201(wine: WineRunner) -> None:
    from applet import __version__

    assert wine.run("lls", "--version").stdout.strip() == f"lls {__version__}"
    paths = json.loads(wine.lls("paths", "--json").stdout)
    assert paths["source"] == "--data-dir"
    assert paths["data_dir"].lower() == windows_path(wine.data_dir).lower()

    wine.lls("product", "add", "Smoke Server", "--limit", "1", "--agree")
    wine.lls("licenses", "add", "Smoke Server", "2", "--comment", "bought under Wine", "--agree")
    wine.lls("licenses", "remove", "Smoke Server", "2", "--comment", "returned")
    products = {row["name"]: row for row in json.loads(wine.lls("product", "list", "--json").stdout)}
    assert products["Smoke Server"]["concurrent_limit"] == 1
    # The built-in "file and print" product of this machine, found through the Windows code path.
    assert any(row["builtin"] for row in products.values()), products
    history = json.loads(wine.lls("history", "--json").stdout)
    assert sorted(row["quantity"] for row in history) == [-2, 1, 2]
    wine.lls("licenses", "add", "Nowhere", "1", "--agree", expect=2, allowed=[re.compile(r"^lls: error: ")])

    wine.lls("service", "start", "--port", "0", timeout=180)
    assert json.loads(wine.lls("service", "status", "--json").stdout)["status"] == "running"
    handle = wine.lls("request", "Smoke Server", "--user", "alice").stdout.strip()
    assert handle
    wine.lls("request", "Smoke Server", "--user", "bob", expect=3, allowed=DENIED)
    _wait_until(
        lambda: any(event["event_id"] == 201 for event in json.loads(wine.lls("events", "--json").stdout)),
        "event 201 in lls.exe events",
    )
    wine.lls("free", handle)
    wine.lls("service", "stop", timeout=180)
    stopped = wine.lls("service", "status", "--json", expect=4)
    assert json.loads(stopped.stdout)["status"] == "stopped"
    log = (wine.data_dir / "logs" / "service.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log
    # The Windows sink registered its source without complaint (no "cannot register event source");
    # the service's own INFO lines (listening on ...) and event lines are expected.
    assert unexpected_stderr(log, SERVICE_LOG_LINES) == [], log


def test_event_log_source_registered_by_the_service(wine: WineRunner) -> None:
    # The service's Windows sink (applet/service/sinks.py) registers the source LicenseService each time
    # it starts, with pywin32's AddSourceToRegistry; Wine runs programs with administrator rights.
    wine.wine("reg", "delete", EVENT_SOURCE_KEY, "/f")
    assert _registry_values(wine, EVENT_SOURCE_KEY) == {}
    wine.lls("service", "start", "--port", "0", timeout=180)
    wine.lls("service", "stop", timeout=180)
    values = _registry_values(wine, EVENT_SOURCE_KEY)
    assert values.get("TypesSupported") == "0x7", values
    message_file = values.get("EventMessageFile", "")
    # pywin32's message DLL, inside this very folder.
    assert (
        message_file.lower() == windows_path(wine.folder / "_internal" / "win32" / "win32evtlog.pyd").lower()
    )


def test_windows_service_install_start_stop_remove(wine: WineRunner) -> None:
    port = _free_port()
    wine.wine("sc", "delete", "LicenseService")  # a leftover of an interrupted run
    data = windows_path(wine.data_dir)
    wine.run(
        "lls", "--windows-service", "install", "--data-dir", data, "--port", str(port), "--startup", "manual"
    )
    try:
        values = _registry_values(wine, SERVICE_KEY)
        expected_path = subprocess.list2cmdline(
            [
                windows_path(wine.folder / "lls.exe"),
                "--windows-service",
                "--data-dir",
                data,
                "--port",
                str(port),
            ]
        )
        assert values["ImagePath"] == expected_path
        assert values["DisplayName"] == "License Logging Service"
        assert values["Start"] == "0x3"  # SERVICE_DEMAND_START: manual
        assert values["Description"].startswith("Counts client use of licensed server products")
        started = wine.wine("sc", "start", "LicenseService", timeout=120)
        assert started.returncode == 0, started.stdout + started.stderr

        def running() -> bool:
            status = run_wine(
                wine_command(wine.folder / "lls.exe", ["--data-dir", data, "service", "status", "--json"]),
                wine.env,
            )
            return status.returncode == 0 and json.loads(status.stdout)["status"] == "running"

        _wait_until(running, "the service started by the SCM to answer")
        status = json.loads(wine.lls("service", "status", "--json").stdout)
        assert f":{port}" in json.dumps(status), status
        wine.lls("product", "add", "Served", "--limit", "1", "--agree")
        assert wine.lls("request", "Served", "--user", "carol").stdout.strip()
        stopped = wine.wine("sc", "stop", "LicenseService", timeout=120)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        _wait_until(
            lambda: "STOPPED" in wine.wine("sc", "query", "LicenseService").stdout,
            "the SCM to see it stop",
        )
        # SvcStop stopped the service cleanly: the store is unlocked and says so.
        assert json.loads(wine.lls("service", "status", "--json", expect=4).stdout)["status"] == "stopped"
    finally:
        wine.run("lls", "--windows-service", "remove")
    assert _registry_values(wine, SERVICE_KEY) == {}


# --- the windowed program -------------------------------------------------------------------------


def _seed(wine: WineRunner) -> None:
    wine.lls("product", "add", "Microsoft SQL Server", "--version", "2022", "--limit", "25", "--agree")
    wine.lls("product", "add", "Exchange Server", "--limit", "100", "--agree")
    wine.lls("product", "add", "File and Print", "--mode", "per-seat")
    wine.lls("licenses", "add", "File and Print", "40", "--comment", "site agreement", "--agree")


def _picture_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{png} is not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(
    ("window", "arguments", "picture"),
    [
        ("Choose Licensing Mode", [], "choose-licensing-mode.png"),
        ("License Manager", ["--manager"], "license-manager.png"),
    ],
)
def test_windows_paint_and_are_pictured(
    wine: WineRunner, window: str, arguments: list[str], picture: str
) -> None:
    _seed(wine)
    PICTURES.mkdir(parents=True, exist_ok=True)
    target = PICTURES / picture
    target.unlink(missing_ok=True)
    completed = wine.run(
        "licensing",
        *arguments,
        "--data-dir",
        windows_path(wine.data_dir),
        "--self-test",
        "--grab",
        windows_path(target),
        qt=qt_settings(),
        timeout=180,
    )
    if not arguments:  # the applet reports its first paint
        assert re.search(r"^first-paint \d+\.\d+$", completed.stdout, re.MULTILINE), completed.stdout
    # An unknown QT_STYLE_OVERRIDE makes Qt say so on stderr, which run() refuses: the Windows style loaded.
    assert WINDOWS_STYLE in qt_settings().values()
    width, height = _picture_size(target)
    # Choose Licensing Mode is a compact dialog (about 520 x 180 pixels); License Manager a window.
    assert width > 300 and height > 150, (window, width, height)


def test_windowed_program_needs_no_console(wine: WineRunner, tmp_path: Path) -> None:
    # `start` launches licensing.exe as Explorer would: no console and no standard handles. It must still
    # reach its first paint (the picture proves it) and exit 0, printing nowhere.
    target = tmp_path / "no-console.png"
    arguments = ["--data-dir", windows_path(wine.data_dir), "--self-test", "--grab", windows_path(target)]
    command = wine_command(wine.folder / "licensing.exe", arguments, qt_settings(), no_console=True)
    completed = run_wine(command, wine.env, timeout=180)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "first-paint" not in completed.stdout  # it had no stdout to write to
    assert _picture_size(target)[0] > 300
    assert (wine.data_dir / "licensing.sqlite3").is_file()
