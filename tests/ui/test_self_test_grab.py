"""``--self-test --grab PNG`` of both windows: the picture is rendered by the program itself.

The Windows build under Wine is looked at through these pictures (tests/packaging/test_windows_under_wine.py),
so here the option is checked on the source install: a real subprocess, the PNG read back.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ENTRIES = {
    "applet": "applet.ui.licensing_main",
    "manager": "applet.ui.manager.main",
}


def _run(entry: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", ENTRIES[entry], "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", LLS_NO_MESSAGE_BOXES="1"),
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_grab_saves_the_painted_window(entry: str, data_dir: Path, tmp_path: Path) -> None:
    picture = tmp_path / f"{entry}.png"
    done = _run(entry, data_dir, "--self-test", "--grab", str(picture))
    assert done.returncode == 0, done.stderr
    image = QImage(str(picture))
    assert not image.isNull(), "not a readable PNG"
    # A whole window, not an empty or one-pixel grab: Choose Licensing Mode and License Manager are
    # both several hundred pixels wide.
    assert image.width() > 300 and image.height() > 200, (image.width(), image.height())
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 10, "a blank picture"


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_grab_without_self_test_is_refused(entry: str, data_dir: Path, tmp_path: Path) -> None:
    done = _run(entry, data_dir, "--grab", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert "--grab needs --self-test" in done.stderr
    assert not (data_dir / "licensing.sqlite3").exists()


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_unwritable_picture_fails_with_one_line(entry: str, data_dir: Path, tmp_path: Path) -> None:
    done = _run(entry, data_dir, "--self-test", "--grab", str(tmp_path / "no such folder" / "x.png"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if "cannot write the picture" in line]
