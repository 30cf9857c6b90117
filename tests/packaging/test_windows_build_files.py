"""The files of the Windows build under Wine agree with the project: packaging/windows/requirements-wine.txt
names every runtime dependency (with the Windows Server 2016 pin of PySide6), and the scripts are sound."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        if "sys_platform != 'win32'" in requirement.replace('"', "'"):
            continue  # not for Windows (uvloop)
        match = NAME.match(requirement)
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def _wine_requirements(repo_root: Path) -> list[str]:
    text = (repo_root / "packaging" / "windows" / "requirements-wine.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_wine_requirements_cover_the_project_and_its_windows_extra(repo_root: Path) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = (
        _names(project["dependencies"])
        | _names(project["optional-dependencies"]["windows"])
        | {"pyinstaller"}
    )
    assert needed <= _names(_wine_requirements(repo_root))


def test_windows_build_keeps_pyside6_below_6_10(repo_root: Path) -> None:
    # 6.10 and later need the system icuuc.dll: not on Windows Server 2016, not in Wine 8.
    (pyside,) = [
        line for line in _wine_requirements(repo_root) if line.lower().startswith("pyside6-essentials")
    ]
    assert "<6.10" in pyside.replace(" ", "")


@pytest.mark.parametrize("script", ["build-under-wine.sh", "smoke-under-wine.sh"])
def test_scripts_parse(repo_root: Path, script: str) -> None:
    completed = subprocess.run(
        ["bash", "-n", str(repo_root / "packaging" / "windows" / script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
