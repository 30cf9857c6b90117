"""The Linux desktop entry and the systemd unit template (resources/systemd/licensing.service.in)."""

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from applet.resources import read_resource_text


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string(text)
    return parser


def _filled_unit(exec_start: str, system: bool = True) -> str:
    template = read_resource_text("systemd", "licensing.service.in")
    return (
        template.replace("@EXEC_START@", exec_start)
        .replace("@WANTED_BY@", "multi-user.target" if system else "default.target")
        .replace("@SYSTEM@", "" if system else "# ")
        .replace("@DATA_DIR@", "/var/lib/licensing")
        .replace("@PROTECT_HOME@", "yes")
        .replace("@CAPABILITIES@", "")
    )


def test_unit_template_has_only_the_documented_placeholders() -> None:
    template = read_resource_text("systemd", "licensing.service.in")
    placeholders = set(re.findall(r"@[A-Z_]+@", template))
    assert placeholders == {
        "@EXEC_START@",
        "@WANTED_BY@",
        "@SYSTEM@",
        "@DATA_DIR@",
        "@PROTECT_HOME@",
        "@CAPABILITIES@",
    }
    unit = _ini(_filled_unit("/opt/licensing/lls service run"))
    service = unit["Service"]
    assert service["ExecStart"] == "/opt/licensing/lls service run"
    assert service["Restart"] == "on-failure"
    assert service["UMask"] == "0077"
    # systemd's default soft limit of 1,024 open files is what idle connections used to exhaust.
    assert int(service["LimitNOFILE"]) >= 8192
    # The machine's service: a dedicated user, its state folder, and the usual hardening.
    assert (service["User"], service["Group"], service["StateDirectory"]) == ("licensing",) * 3
    for option, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ReadWritePaths": "/var/lib/licensing",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[option] == value, option
    # A user unit runs as its user, without the system-only lines (systemd refuses User= there).
    user = _ini(_filled_unit("/opt/licensing/lls service run", system=False))["Service"]
    assert "User" not in user and "StateDirectory" not in user and user["NoNewPrivileges"] == "yes"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    unit_file = tmp_path / "licensing.service"
    unit_file.write_text(
        _filled_unit("/bin/true --data-dir /var/lib/licensing service run"), encoding="utf-8"
    )
    completed = subprocess.run(
        ["systemd-analyze", "verify", str(unit_file)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert "licensing.service:" not in completed.stderr, completed.stderr


def test_desktop_entry(repo_root: Path) -> None:
    text = (repo_root / "packaging" / "linux" / "licensing.desktop").read_text(encoding="utf-8")
    entry = _ini(text)
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Exec"] == "@BINDIR@/licensing"
    assert main["Icon"] == "licensing"
    # The Wayland app-id (QApplication.setDesktopFileName in applet/ui/app.py) names this file.
    assert 'setDesktopFileName("licensing")' in (repo_root / "applet" / "ui" / "app.py").read_text(
        encoding="utf-8"
    )
    assert entry["Desktop Action manager"]["Exec"] == "@BINDIR@/licensing --manager"


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-validate is not installed"
)
def test_desktop_entry_validates(repo_root: Path, tmp_path: Path) -> None:
    text = (repo_root / "packaging" / "linux" / "licensing.desktop").read_text(encoding="utf-8")
    filled = tmp_path / "licensing.desktop"
    filled.write_text(text.replace("@BINDIR@", "/opt/licensing"), encoding="utf-8")
    completed = subprocess.run(
        ["desktop-file-validate", str(filled)], capture_output=True, text=True, timeout=60
    )
    # Neither errors nor hints (such as two main categories, which lists the program twice in menus).
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout + completed.stderr == ""
