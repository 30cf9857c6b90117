"""Running the Windows folder (dist/windows/Licensing, built by packaging/windows/build-under-wine.sh) under
Wine, for tests/packaging/test_windows_under_wine.py and tests/benchmarks/test_bench_wine.py.

What Wine 8 needs, learnt the hard way (see packaging/windows/README.md):

* a pipe as stdout and stderr and /dev/null as stdin, or the Windows Python stops in init_sys_streams:
  ``subprocess.run(capture_output=True, stdin=DEVNULL)`` gives exactly that;
* ``QT_*`` variables of the Linux environment do not reach the Windows process (others do), so the GUI
  runs through ``cmd /c "set QT_QPA_PLATFORM=offscreen&& licensing.exe ..."``;
* Qt's ``windows`` platform plugin aborts under Wine (no WinRT UISettings), so windows are rendered by
  the ``offscreen`` plugin and looked at through ``--self-test --grab PNG``; ``QT_QPA_FONTDIR`` gives that
  plugin a folder of TrueType fonts (Wine has none of Windows' fonts).
"""

import contextlib
import os
import re
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path, PureWindowsPath
from typing import IO

import pytest

WINE_FROZEN_DIR = "LLS_WINE_FROZEN_DIR"
# TrueType fonts for Qt's offscreen platform (Debian's fonts-dejavu-core, installed by .ci/run).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# The Windows style Qt 6 loads from plugins/styles/qmodernwindowsstyle.dll.
WINDOWS_STYLE = "windowsvista"
# What Wine itself may print on stderr now and then (WINEDEBUG=-all silences its debug channels).
WINE_STDERR = [re.compile(r"^wine: "), re.compile(r"^\d+:\w+:")]


def windows_path(path: Path) -> str:
    """The Windows name of a Linux path under Wine (drive Z: is the Linux root)."""
    return str(PureWindowsPath("Z:\\", *path.absolute().parts[1:]))


def wine_frozen_dir() -> Path:
    """The built Windows folder named by ``LLS_WINE_FROZEN_DIR`` (skips the test when there is none)."""
    named = os.environ.get(WINE_FROZEN_DIR)
    if not named:
        pytest.skip(f"no Windows build: run packaging/windows/smoke-under-wine.sh, or set {WINE_FROZEN_DIR}")
    if shutil.which("wine") is None:
        pytest.fail(f"{WINE_FROZEN_DIR} is set but Wine is not installed: run build-under-wine.sh")
    folder = Path(named).absolute()
    if not (folder / "lls.exe").is_file():
        pytest.fail(f"{WINE_FROZEN_DIR}={folder} holds no lls.exe: build it with build-under-wine.sh")
    return folder


def wine_environment() -> dict[str, str]:
    """The Linux environment of a Wine run: no store chosen by the test session's variables, Wine quiet."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LLS_", "PYTHON", "QT_"))}
    env.setdefault("WINEDEBUG", "-all")
    env.setdefault("WINEDLLOVERRIDES", "mscoree,mshtml=")
    return env


def qt_settings(style: str | None = WINDOWS_STYLE) -> dict[str, str]:
    """The Qt variables a GUI run sets inside Wine: offscreen, fonts, the Windows style."""
    settings = {"QT_QPA_PLATFORM": "offscreen", "QT_QPA_FONTDIR": windows_path(FONT_DIR)}
    if style:
        settings["QT_STYLE_OVERRIDE"] = style
    return settings


def wine_command(
    program: Path, args: Sequence[str], qt: dict[str, str] | None = None, no_console: bool = False
) -> list[str]:
    """The Linux command line that runs ``program args`` under Wine, with ``qt`` set inside via cmd.

    ``no_console``: through ``start "" /wait``, as Explorer starts a program: no console, no standard
    handles (the exit code is still the program's).
    """
    if qt is None and not no_console:
        return ["wine", str(program), *args]
    line = subprocess.list2cmdline([windows_path(program), *args])
    settings = "".join(f"set {name}={value}&& " for name, value in (qt or {}).items())
    return ["wine", "cmd", "/c", settings + ('start "" /wait ' if no_console else "") + line]


def run_wine(
    command: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a Wine command the way Windows programs under Wine need: stdin /dev/null, pipes out.

    Done until the program has exited and closed its stdout, not until its stderr closes: Wine hands a
    child process the Linux stderr of its parent whatever its Windows handles say, so a service that
    ``lls.exe service start`` leaves running holds that pipe open for as long as it runs.
    """
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    output = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    deadline = time.monotonic() + timeout
    with process, selectors.DefaultSelector() as selector:
        for stream in (process.stdout, process.stderr):
            selector.register(stream, selectors.EVENT_READ)
        stdout_open = True
        while stdout_open or process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                process.kill()
                raise subprocess.TimeoutExpired(command, timeout, bytes(output[process.stdout.fileno()]))
            if not selector.get_map():
                process.wait(remaining)
                continue
            for key, _events in selector.select(min(remaining, 1.0)):
                data = os.read(key.fd, 65536)
                output[key.fd].extend(data)
                if not data:
                    selector.unregister(key.fileobj)
                    stdout_open = stdout_open and key.fd != process.stdout.fileno()
        # What the program itself wrote on stderr is in the pipe by now: take it without waiting for EOF.
        if process.stderr.fileno() in {key.fd for key in selector.get_map().values()}:
            os.set_blocking(process.stderr.fileno(), False)
            with contextlib.suppress(BlockingIOError):
                while data := os.read(process.stderr.fileno(), 65536):
                    output[process.stderr.fileno()].extend(data)

        def text(stream: IO[bytes]) -> str:
            return output[stream.fileno()].decode("utf-8", errors="replace").replace("\r\n", "\n")

        return subprocess.CompletedProcess(
            command, process.returncode, text(process.stdout), text(process.stderr)
        )


@contextlib.contextmanager
def wine_session(env: dict[str, str]) -> Iterator[None]:
    """One Wine session around the runs: its system processes started once, quietly, and kept.

    The first Windows program of a session makes Wine start services.exe and friends, which inherit
    that program's stdout and stderr: were those the pipes of ``run_wine``, the run would wait for them
    to close. And Wine's service manager ends the services once no other Windows program runs. So a
    ``cmd.exe`` with no output waits on its input for the whole session, and ``wineserver -k`` ends
    everything of the prefix (a service left behind by a failed test included) at the end.
    """
    quiet = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    keeper = subprocess.Popen(["wine", "cmd"], env=env, **quiet)  # type: ignore[call-overload]
    try:
        # Returns once the session is up (its system processes started by the keeper or by this).
        subprocess.run(
            ["wine", "cmd", "/c", "exit"],
            env=env,
            timeout=120,
            check=True,
            **{**quiet, "stdin": subprocess.DEVNULL},
        )
        yield
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            keeper.communicate(b"exit\r\n", timeout=30)
        subprocess.run(["wineserver", "-k"], env=env, capture_output=True, timeout=60, check=False)
        if keeper.poll() is None:
            keeper.kill()
            keeper.wait(timeout=30)
