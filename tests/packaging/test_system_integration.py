"""The systemd unit, the Windows service registration command lines and the Windows service host's
arguments, checked on any platform (nothing here is installed on the test machine)."""

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from applet import system_integration, winservice


def test_lls_command_from_source_is_this_python() -> None:
    assert system_integration.lls_command() == [sys.executable, "-m", "applet"]


def test_lls_command_when_frozen_is_the_sibling_lls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Frozen, the GUI program is sys.executable; the service must be started through `lls` beside it.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "Licensing" / "licensing"))
    name = "lls.exe" if sys.platform == "win32" else "lls"
    assert system_integration.lls_command() == [str(tmp_path / "Licensing" / name)]


def _unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string(text)
    return parser


def test_systemd_unit_runs_the_service_on_the_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "with space" / "100%" / "$HOME"
    unit = _unit(system_integration.render_systemd_unit(data_dir, system=True))
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    exec_start = unit["Service"]["ExecStart"]
    assert "@" not in exec_start
    # systemd expands %-specifiers and $VARIABLES: both are doubled, then the line splits like a shell.
    words = shlex.split(exec_start.replace("%%", "%").replace("$$", "$"))
    assert words == [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "service", "run"]
    assert unit["Service"]["UMask"] == "0077"


def test_user_unit_starts_with_the_session(tmp_path: Path) -> None:
    unit = _unit(system_integration.render_systemd_unit(tmp_path, system=False))
    assert unit["Install"]["WantedBy"] == "default.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    unit_file = tmp_path / system_integration.SYSTEMD_UNIT_NAME
    unit_file.write_text(
        system_integration.render_systemd_unit(tmp_path / "data", system=True), encoding="utf-8"
    )
    completed = subprocess.run(
        ["systemd-analyze", "verify", str(unit_file)], capture_output=True, text=True, timeout=60
    )
    assert "licensing.service" not in completed.stderr, completed.stderr


def test_unit_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert system_integration.systemd_unit_path(True) == Path("/etc/systemd/system/licensing.service")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert system_integration.systemd_unit_path(False) == tmp_path / "systemd" / "user" / "licensing.service"


def test_systemctl_commands_per_startup_type() -> None:
    assert system_integration.systemctl_commands("automatic", system=True) == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "licensing.service"],
    ]
    assert system_integration.systemctl_commands("disabled", system=False)[-1] == [
        "systemctl",
        "--user",
        "disable",
        "--now",
        "licensing.service",
    ]
    with pytest.raises(ValueError, match="unknown startup type"):
        system_integration.systemctl_commands("sometimes", system=True)


def test_windows_service_registration_commands(tmp_path: Path) -> None:
    commands = system_integration.windows_service_commands(tmp_path / "Program Data", "automatic")
    create = commands[0]
    assert create[:3] == ["sc.exe", "create", "LicenseService"]
    options = dict(zip(create[3::2], create[4::2], strict=True))
    assert options["start="] == "auto"
    assert options["DisplayName="] == "License Logging Service"
    # The binPath is one Windows command line; a folder with a space is quoted.
    assert options["binPath="].endswith(f'--data-dir "{tmp_path / "Program Data"}"')
    assert "-m applet.winservice" in options["binPath="]
    assert system_integration.windows_service_commands(tmp_path, "manual")[1][-1] == "demand"
    with pytest.raises(ValueError, match="unknown startup type"):
        system_integration.windows_service_commands(tmp_path, "soon")


def test_windows_service_host_when_frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "licensing"))
    line = system_integration.windows_service_command_line(tmp_path)
    assert "--windows-service --data-dir" in line
    assert "applet.winservice" not in line


def test_windows_service_host_arguments(tmp_path: Path) -> None:
    assert winservice.parse_arguments(["--windows-service", "--data-dir", str(tmp_path)]) == tmp_path
    assert winservice.parse_arguments([]) is None


@pytest.mark.skipif(sys.platform == "win32", reason="checks the refusal outside Windows")
def test_windows_service_host_refuses_elsewhere() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "applet.winservice", "--data-dir", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        "lls: error: --windows-service runs only under the Windows Service Control Manager"
    ]
