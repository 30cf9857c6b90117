"""Smoke test of the frozen folder (dist/Licensing): the programs an administrator copies onto a server.

Runs only against a real build (``LLS_FROZEN_DIR``, set by packaging/smoke.sh after building). Every
run must exit as expected with no traceback and no stderr line outside the short list of lines the
command is documented to print.
"""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

EXE = ".exe" if sys.platform == "win32" else ""
# stderr lines a command may print (anything else fails the test): Qt's offscreen platform notes.
ALLOWED_STDERR = [
    re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),
    re.compile(r"^This plugin does not support raise\(\)$"),
]
# What a clean service.log holds: the service's own INFO lines (where events go, listening on ...) and the
# events themselves at their level (a 201 is an ERROR line) where no system log takes them.
SERVICE_LOG_LINES = [
    re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ INFO "),
    re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (WARNING|ERROR) Event \d+: "),
]


def clean_environment(home: Path) -> dict[str, str]:
    """The environment of a frozen run: offscreen Qt, no store chosen by the test session's variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LLS_", "PYTHON"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)  # else Qt warns that it is unset
    return env


def unexpected_stderr(stderr: str, allowed: Sequence[re.Pattern[str]] = ()) -> list[str]:
    """The stderr lines that are neither blank nor matched by ``allowed`` or ALLOWED_STDERR."""
    patterns = [*ALLOWED_STDERR, *allowed]
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(pattern.search(line) for pattern in patterns)
    ]


class FrozenRunner:
    """Runs the folder's executables on one data folder and checks their stderr."""

    def __init__(self, folder: Path, data_dir: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.data_dir = data_dir
        self.env = env

    def run(
        self,
        program: str,
        *args: str,
        expect: int = 0,
        allowed: Sequence[re.Pattern[str]] = (),
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [str(self.folder / f"{program}{EXE}"), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            stdin=subprocess.DEVNULL,
            cwd=self.data_dir.parent,
        )
        shown = f"{program} {' '.join(args)}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
        assert "Traceback" not in completed.stderr + completed.stdout, shown
        assert completed.returncode == expect, shown
        assert unexpected_stderr(completed.stderr, allowed) == [], shown
        return completed

    def lls(self, *args: str, **options: object) -> subprocess.CompletedProcess[str]:
        return self.run("lls", "--data-dir", str(self.data_dir), *args, **options)  # type: ignore[arg-type]


@pytest.fixture
def frozen(frozen_dir: Path, tmp_path: Path) -> Iterator[FrozenRunner]:
    runner = FrozenRunner(frozen_dir, tmp_path / "store", clean_environment(tmp_path))
    yield runner
    # Never leave a service behind, whatever failed above.
    subprocess.run(
        [str(frozen_dir / f"lls{EXE}"), "--data-dir", str(runner.data_dir), "service", "stop"],
        capture_output=True,
        timeout=60,
        env=runner.env,
        stdin=subprocess.DEVNULL,
    )


def test_folder_layout(frozen_dir: Path) -> None:
    # Two programs sharing one library folder (PyInstaller 6 onedir: _internal/).
    assert (frozen_dir / f"lls{EXE}").is_file()
    assert (frozen_dir / f"licensing{EXE}").is_file()
    internal = frozen_dir / "_internal"
    assert (internal / "resources" / "icons" / "licensing.svg").is_file()
    assert (internal / "linux" / "licensing.desktop").is_file()
    # Qt's X11 platform plugin can load on a desktop: its xcb libraries travel with it.
    if sys.platform.startswith("linux"):
        assert (internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so").is_file()
        assert (internal / "libxcb-cursor.so.0").exists()
    # Excluded: tkinter and the QML/Quick stack.
    names = {path.name for path in internal.rglob("*")}
    assert not any(name.startswith(("_tkinter", "libtk", "libQt6Qml", "libQt6Quick")) for name in names)


def test_version_and_paths(frozen: FrozenRunner) -> None:
    from applet import __version__

    assert frozen.run("lls", "--version").stdout.strip() == f"lls {__version__}"
    paths = json.loads(frozen.lls("paths", "--json").stdout)
    assert Path(paths["data_dir"]) == frozen.data_dir
    assert paths["source"] == "--data-dir"


def test_gui_program_runs_lls_like_python_dash_m(frozen: FrozenRunner) -> None:
    # License Manager starts the service with `sys.executable -m applet ...`; frozen, that is `licensing`.
    from applet import __version__

    assert frozen.run("licensing", "-m", "applet", "--version").stdout.strip() == f"lls {__version__}"
    # ...and what that lls spawns must be the console lls: start and stop the service through it.
    as_lls = ["-m", "applet", "--data-dir", str(frozen.data_dir)]
    frozen.run("licensing", *as_lls, "service", "start", "--port", "0", timeout=90)
    assert json.loads(frozen.lls("service", "status", "--json").stdout)["status"] == "running"
    frozen.run("licensing", *as_lls, "service", "stop", timeout=90)
    paths = json.loads(
        frozen.run("lls", "-m", "applet", "--data-dir", str(frozen.data_dir), "paths", "--json").stdout
    )
    assert Path(paths["data_dir"]) == frozen.data_dir


def test_bad_usage_is_one_line(frozen: FrozenRunner) -> None:
    completed = frozen.lls(
        "licenses", "add", "No Such Product", "3", "--agree", expect=2, allowed=[re.compile(r"^lls: error: ")]
    )
    assert len(completed.stderr.strip().splitlines()) == 1


def test_service_request_and_free(frozen: FrozenRunner) -> None:
    frozen.lls("product", "add", "Smoke Server", "--limit", "1", "--agree")
    frozen.lls("service", "start", "--port", "0", timeout=90)
    assert json.loads(frozen.lls("service", "status", "--json").stdout)["status"] == "running"
    handle = frozen.lls("request", "Smoke Server", "--user", "alice").stdout.strip()
    assert handle
    # One concurrent connection: a second client is refused until the first frees its license.
    frozen.lls("request", "Smoke Server", "--user", "bob", expect=3, allowed=[re.compile(r"^lls: denied: ")])
    frozen.lls("free", handle)
    assert frozen.lls("request", "Smoke Server", "--user", "bob").stdout.strip()
    frozen.lls("service", "stop", timeout=90)
    stopped = frozen.lls("service", "status", "--json", expect=4)
    assert json.loads(stopped.stdout)["status"] == "stopped"
    # The background service's own output went to its log: it must be as clean as the commands'.
    log = (frozen.data_dir / "logs" / "service.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log
    assert unexpected_stderr(log, SERVICE_LOG_LINES) == [], log


def test_applet_paints_offscreen(frozen: FrozenRunner) -> None:
    frozen.run("licensing", "--data-dir", str(frozen.data_dir), "--self-test", timeout=120)
    # The GUI opened (and so created) the store it was pointed at.
    assert (frozen.data_dir / "licensing.sqlite3").is_file()


def test_manager_paints_offscreen(frozen: FrozenRunner) -> None:
    frozen.run("licensing", "--manager", "--data-dir", str(frozen.data_dir), "--self-test", timeout=60)
    assert (frozen.data_dir / "licensing.sqlite3").is_file()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux installer")
def test_linux_install_puts_programs_desktop_entry_and_icon_in_place(
    frozen: FrozenRunner, tmp_path: Path
) -> None:
    prefix, bin_dir, share_dir = tmp_path / "opt" / "licensing", tmp_path / "bin", tmp_path / "share"
    env = {
        **frozen.env,
        "LICENSING_PREFIX": str(prefix),
        "LICENSING_BIN_DIR": str(bin_dir),
        "LICENSING_SHARE_DIR": str(share_dir),
    }
    # The installer travels inside the folder: Licensing/_internal/linux/install.sh.
    completed = subprocess.run(
        ["bash", str(frozen.folder / "_internal" / "linux" / "install.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stderr
    assert unexpected_stderr(completed.stderr) == []
    from applet import __version__

    linked = subprocess.run(
        [str(bin_dir / "lls"), "--version"], capture_output=True, text=True, timeout=60, env=frozen.env
    )
    assert linked.stdout.strip() == f"lls {__version__}", linked.stderr
    desktop = (share_dir / "applications" / "licensing.desktop").read_text(encoding="utf-8")
    assert f"Exec={prefix}/licensing\n" in desktop
    assert f"Exec={prefix}/licensing --manager\n" in desktop
    assert (share_dir / "icons" / "hicolor" / "scalable" / "apps" / "licensing.svg").is_file()
    # A second install over the first replaces it; a foreign non-empty folder is refused.
    assert (
        subprocess.run(
            ["bash", str(prefix / "_internal" / "linux" / "install.sh"), "--from", str(frozen.folder)],
            capture_output=True,
            env=env,
            timeout=120,
        ).returncode
        == 0
    )
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", encoding="utf-8")
    refused = subprocess.run(
        ["bash", str(frozen.folder / "_internal" / "linux" / "install.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "LICENSING_PREFIX": str(foreign)},
    )
    assert refused.returncode == 1
    assert (foreign / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_console_program_opens_both_windows(frozen: FrozenRunner) -> None:
    # `lls applet` and `lls manager` (applet/cli/gui.py, manager_command.py) from the console program.
    frozen.lls("applet", "--self-test", timeout=120)
    frozen.lls("manager", "--self-test", timeout=120)
