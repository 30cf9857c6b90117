"""How Licensing runs ``lls`` again (applet.programs): one answer for the service's background start, its
systemd unit and Windows service, the windowed program's ``-m applet``, and License Manager's button."""

import subprocess
import sys
from pathlib import Path

import pytest

from applet import programs


def test_from_source_lls_is_this_interpreter_with_the_package() -> None:
    command = programs.lls_command()
    assert command == [sys.executable, "-m", "applet"]
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("lls ")


@pytest.mark.parametrize(("platform", "name"), [("linux", "lls"), ("win32", "lls.exe")])
def test_frozen_lls_is_the_sibling_of_whichever_program_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, platform: str, name: str
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "Licensing" / "licensing"))
    assert programs.lls_executable(platform) == tmp_path / "Licensing" / name
    assert programs.lls_command() == [str(tmp_path / "Licensing" / name)]
