"""The frozen folder's windowed program picks the applet or License Manager like the wheel's commands."""

import sys
import tomllib
from pathlib import Path

import pytest

from applet import frozen_gui


def test_no_flag_opens_the_applet() -> None:
    assert frozen_gui.choose_entry(["--data-dir", "x", "--self-test"]) == (
        frozen_gui.APPLET_ENTRY,
        ["--data-dir", "x", "--self-test"],
    )


def test_manager_flag_opens_license_manager_anywhere_on_the_line() -> None:
    assert frozen_gui.choose_entry(["--data-dir", "x", "--manager"]) == (
        frozen_gui.MANAGER_ENTRY,
        ["--data-dir", "x"],
    )
    assert frozen_gui.choose_entry(["--manager"]) == (frozen_gui.MANAGER_ENTRY, [])


def test_entries_are_the_wheels_gui_scripts(repo_root: Path) -> None:
    # One `main` per window: the frozen program calls exactly what `licensing` and `license-manager` call.
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    gui_scripts = project["gui-scripts"]
    assert gui_scripts["licensing"] == frozen_gui.APPLET_ENTRY
    assert gui_scripts["license-manager"] == frozen_gui.MANAGER_ENTRY
    assert project["scripts"]["lls"] == "applet.cli.main:main"


@pytest.mark.parametrize("entry", [frozen_gui.APPLET_ENTRY, frozen_gui.MANAGER_ENTRY])
def test_entries_load(entry: str) -> None:
    assert callable(frozen_gui.load_entry(entry))


def test_main_hands_the_remaining_arguments_over(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_manager() -> int:
        seen.append(list(sys.argv[1:]))
        return 7

    monkeypatch.setattr(
        frozen_gui, "load_entry", lambda entry: fake_manager if entry == frozen_gui.MANAGER_ENTRY else None
    )
    monkeypatch.setattr(sys, "argv", ["licensing"])
    assert frozen_gui.main(["--manager", "--self-test"]) == 7
    assert seen == [["--self-test"]]


def test_windowed_streams_are_never_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # A windowed Windows executable starts with sys.stdout/sys.stderr set to None.
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    frozen_gui._give_windowed_streams()
    assert sys.stdout is not None and sys.stderr is not None
    print("goes nowhere", file=sys.stderr)
    sys.stdout.close()
    sys.stderr.close()


def test_python_dash_m_applet_runs_lls(capsys: pytest.CaptureFixture[str]) -> None:
    # Frozen, `sys.executable -m applet ...` (as source-install code spawns lls) reaches lls.
    from applet import __version__

    with pytest.raises(SystemExit) as exited:
        frozen_gui.main(["-m", "applet", "--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"lls {__version__}"
