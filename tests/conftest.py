"""Shared test set-up: offscreen Qt, a fresh data folder per test, and store helpers.

Qt renders offscreen unless ``--onscreen`` is given (CI runs ``tests/ui`` once more that way under Xvfb,
with ``QT_QPA_PLATFORM=xcb``). ``qapp`` is the application as the programs configure it
(:func:`applet.ui.app.application`: style, translations), not pytest-qt's bare QApplication.

Every test gets its own ``LLS_DATA_DIR`` (a temporary folder), so nothing touches the real store.
Tests that use ``qtbot``/``qapp`` are marked ``gui`` automatically (``pytest -m "not gui"`` skips them).
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Before any Qt import: render offscreen unless a developer asks to see the windows.
if "--onscreen" not in sys.argv:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


@pytest.fixture(scope="session")
def qapp(qapp_args: list[str]) -> "object":
    """The one QApplication of the run, configured like the real programs' (overrides pytest-qt's)."""
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtWidgets import QWidget

    from applet.ui.app import application

    class ActivateShownWindows(QObject):
        """What a desktop's window manager does for a window that appears: it becomes the active one.

        Offscreen, Qt activates a shown window by itself; on a bare X server (Xvfb, no window manager)
        nothing does, and keyboard shortcuts (Ctrl+N, F1) reach only the active window.
        """

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (
                event.type() == QEvent.Type.Show
                and isinstance(watched, QWidget)
                and watched.isWindow()
                and watched.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog)
            ):
                watched.activateWindow()
            return False

    app = application(["pytest", *qapp_args])
    if app.platformName() != "offscreen":
        app.installEventFilter(ActivateShownWindows(app))
    return app


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--onscreen", action="store_true", help="show Qt windows instead of rendering offscreen")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "benchmarks" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.benchmark)
        if {"qtbot", "qapp"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data folder for this test, also exported as ``LLS_DATA_DIR``.

    No configuration file of the machine or of the user running the tests is read either: the
    machine-wide file and the per-user folder point into the test's folder (empty), and
    ``$LLS_CONFIG`` and ``$LLS_MACHINE_WIDE`` are unset.
    """
    folder = tmp_path / "data"
    monkeypatch.setenv("LLS_DATA_DIR", str(folder))
    monkeypatch.setenv("LLS_MACHINE_CONFIG", str(tmp_path / "etc-licensing" / "licensing.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.delenv("LLS_CONFIG", raising=False)
    monkeypatch.delenv("LLS_MACHINE_WIDE", raising=False)
    return folder


@pytest.fixture
def store(data_dir: Path) -> Iterator["object"]:
    """An open store in the test's data folder."""
    from applet.store import Store

    with Store.open(data_dir) as opened:
        yield opened


class LlsResult:
    """The outcome of one ``lls`` run."""

    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    def json(self) -> object:
        return json.loads(self.stdout)


@pytest.fixture
def lls(data_dir: Path) -> Callable[..., LlsResult]:
    """Run the real ``lls`` command (``python -m applet``) on the test's data folder."""

    def run(*args: str, timeout: float = 60) -> LlsResult:
        completed = subprocess.run(
            [sys.executable, "-m", "applet", "--data-dir", str(data_dir), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return LlsResult(completed)

    return run


def snapshot(data_dir: Path) -> list[str]:
    """Every row of the store as SQL text: compare before and after to prove nothing changed."""
    import sqlite3

    connection = sqlite3.connect(data_dir / "licensing.sqlite3")
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.fixture
def store_snapshot(data_dir: Path) -> Callable[[], list[str]]:
    """A function returning the current content of the test's store (see :func:`snapshot`)."""
    return lambda: snapshot(data_dir)


# ---------------------------------------------------------------------------- a throwaway PostgreSQL


def _postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps them out of PATH), or None."""
    import shutil

    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return candidates[-1].parent if candidates else None


class ThrowawayPostgres:
    """``initdb`` + ``pg_ctl`` in a temporary folder on a free loopback port (as pytest-postgresql does).

    PostgreSQL refuses to run as root; as root the programs run as the ``postgres`` user that Debian's
    package creates (``runuser -u postgres --``), on a folder that user owns.
    """

    def __init__(self, bin_dir: Path) -> None:
        import shutil
        import socket
        import tempfile

        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="lls-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._run(
            "initdb",
            "-D",
            str(self.folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._shutil = shutil
        self._databases = 0

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
            cwd=self.folder,
        )

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"lls_test_{self._databases}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            self._shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """One throwaway PostgreSQL for the session; skipped (one line) without the server programs."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) not installed: apt-get install postgresql")
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run PostgreSQL as")
    server = ThrowawayPostgres(bin_dir)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: ThrowawayPostgres) -> str:
    """The URL of a fresh, empty PostgreSQL database for this test."""
    return postgres_server.new_database()
