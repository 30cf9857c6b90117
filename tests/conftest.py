"""Shared test set-up: offscreen Qt, a fresh data folder per test, and store helpers.

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
    """A fresh, empty data folder for this test, also exported as ``LLS_DATA_DIR``."""
    folder = tmp_path / "data"
    monkeypatch.setenv("LLS_DATA_DIR", str(folder))
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
