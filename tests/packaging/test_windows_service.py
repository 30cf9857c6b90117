"""The Windows service registration command lines and the service host's command line, checked on any
platform (nothing is registered on the test machine), and the host's refusal outside Windows
(applet/service/control/windows.py, and the module name earlier releases registered)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from applet.service.control import windows as winservice


def _options(command: list[str]) -> dict[str, str]:
    # sc.exe options come as "name=" followed by the value.
    return dict(zip(command[3::2], command[4::2], strict=True))


def test_install_registers_license_service(tmp_path: Path) -> None:
    data_dir = tmp_path / "Program Data"
    create, config, description, failure = winservice.install_commands(data_dir, "automatic")
    assert create[:3] == ["sc.exe", "create", "LicenseService"]
    options = _options(create)
    assert options["start="] == "auto"
    assert options["DisplayName="] == "License Logging Service"
    # binPath is one Windows command line; the folder with a space is quoted.
    assert options["binPath="] == subprocess.list2cmdline(
        [sys.executable, "-m", "applet.service.control.windows", "--data-dir", str(data_dir)]
    )
    assert _options(config)["binPath="] == options["binPath="]
    assert description[:3] == ["sc.exe", "description", "LicenseService"]
    assert _options(failure)["actions="].startswith("restart/")


def test_startup_types_map_to_sc_start_values(tmp_path: Path) -> None:
    assert _options(winservice.install_commands(tmp_path, "manual")[0])["start="] == "demand"
    assert _options(winservice.install_commands(tmp_path, "disabled")[0])["start="] == "disabled"
    with pytest.raises(ValueError, match="unknown startup type"):
        winservice.install_commands(tmp_path, "soon")


def test_frozen_host_is_the_sibling_lls_exe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # licensing.exe may install the service too: the SCM must still start lls.exe.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "Licensing" / "licensing.exe"))
    line = winservice.host_command_line(tmp_path / "data")
    assert line == subprocess.list2cmdline(
        [str(tmp_path / "Licensing" / "lls.exe"), "--windows-service", "--data-dir", str(tmp_path / "data")]
    )


def test_remove_stops_then_deletes() -> None:
    assert winservice.remove_commands() == [
        ["sc.exe", "stop", "LicenseService"],
        ["sc.exe", "delete", "LicenseService"],
    ]


def test_default_store_is_machine_wide(tmp_path: Path) -> None:
    from applet.store.paths import machine_wide_dir

    assert winservice.service_data_dir(None) == machine_wide_dir()
    assert winservice.service_data_dir(str(tmp_path)) == tmp_path


def test_command_line_is_parsed() -> None:
    args = winservice.build_parser().parse_args(["--windows-service", "install", "--startup", "manual"])
    assert (args.action, args.startup, args.data_dir) == ("install", "manual", None)
    assert winservice.build_parser().parse_args(["--data-dir", "D"]).action is None


@pytest.mark.skipif(sys.platform == "win32", reason="checks the refusal outside Windows")
# The host's module, and the name a service registered by an earlier release still starts.
@pytest.mark.parametrize("module", ["applet.service.control.windows", "applet.winservice"])
def test_refused_outside_windows_with_one_line(module: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", module, "install", "--data-dir", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == ["lls: error: --windows-service works only on Windows"]


def test_port_travels_in_the_service_command_line(tmp_path: Path) -> None:
    create = winservice.install_commands(tmp_path, "manual", port=18765)[0]
    assert _options(create)["binPath="].endswith(
        subprocess.list2cmdline(["--data-dir", str(tmp_path), "--port", "18765"])
    )
    assert "--port" not in _options(winservice.install_commands(tmp_path, "manual")[0])["binPath="]
    assert winservice.build_parser().parse_args(["install", "--port", "18765"]).port == 18765
    for bad in ("0", "65536", "http"):
        with pytest.raises(SystemExit):
            winservice.build_parser().parse_args(["install", "--port", bad])


def _fake_sc(tmp_path: Path, create_exit: int) -> tuple[dict[str, str], Path]:
    """A PATH holding an ``sc.exe`` that logs its arguments; ``create`` exits with ``create_exit``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "calls.txt"
    script = folder / "sc.exe"
    script.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\n[ "$1" = create ] && exit {create_exit}\nexit 0\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, calls


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for sc.exe")
@pytest.mark.parametrize(("create_exit", "configured"), [(0, False), (73, True)])
def test_config_updates_only_an_earlier_registration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, create_exit: int, configured: bool
) -> None:
    # A fresh "create" has set every option; "config" (which Wine's sc.exe lacks) runs only when the
    # service was registered before.
    env, calls = _fake_sc(tmp_path, create_exit)
    monkeypatch.setenv("PATH", env["PATH"])
    # sc.exe's "already exists" is 1073, more than a POSIX exit status holds: the stand-in says 73.
    monkeypatch.setattr(winservice, "ERROR_SERVICE_EXISTS", 73)
    winservice.run_sc(winservice.install_commands(tmp_path / "data", "manual"))
    verbs = [line.split()[0] for line in calls.read_text(encoding="utf-8").splitlines()]
    assert verbs == ["create", *(["config"] if configured else []), "description", "failure"]
