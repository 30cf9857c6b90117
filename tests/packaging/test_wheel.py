"""The wheel (``python -m build``) carries the same commands and every resource, and works when installed.

Builds from a copy of the source tree (the working tree is shared), installs the wheel into a fresh
virtual environment whose dependencies come from the test environment, and runs the installed
commands there. Needs the ``packaging`` extra (``build``, a new enough setuptools); CI runs it from
packaging/smoke.sh after installing that extra, and skips it when the extra is missing.
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

# Asked of the installed distributions, not of ``import build``: an editable install writes the generated man
# page and completions under ./build, which Python would import as a namespace package named ``build``.
try:
    importlib.metadata.version("build")
except importlib.metadata.PackageNotFoundError:
    pytest.skip("needs the packaging extra: pip install -e '.[packaging]'", allow_module_level=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(repo_root / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("applet", "resources"):
        shutil.copytree(repo_root / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("wheelhouse")
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (built,) = out.glob("licensing-*.whl")
    return built


def _entry_points(archive: zipfile.ZipFile) -> dict[str, dict[str, str]]:
    (name,) = [item for item in archive.namelist() if item.endswith(".dist-info/entry_points.txt")]
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in archive.read(name).decode().splitlines():
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            sections[current][key] = value
    return sections


def test_wheel_declares_the_projects_commands(wheel: Path, repo_root: Path) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    with zipfile.ZipFile(wheel) as archive:
        entry_points = _entry_points(archive)
    assert entry_points["console_scripts"] == project["scripts"]
    assert entry_points["gui_scripts"] == project["gui-scripts"]
    assert {"lls", "licensing"} <= set(entry_points["console_scripts"]) | set(entry_points["gui_scripts"])


def test_wheel_ships_every_resource(wheel: Path, repo_root: Path, build_support: ModuleType) -> None:
    resources = repo_root / "resources"
    expected = {
        path.relative_to(resources).as_posix()
        for path in resources.rglob("*")
        if path.is_file() and path.suffix not in build_support.RESOURCE_SOURCE_SUFFIXES
    }
    with zipfile.ZipFile(wheel) as archive:
        prefix = next(name for name in archive.namelist() if ".data/data/share/licensing/resources/" in name)
        root = prefix[: prefix.index("share/licensing/resources/") + len("share/licensing/resources/")]
        shipped = {name[len(root) :] for name in archive.namelist() if name.startswith(root)}
    assert expected - shipped == set(), (
        "resources missing from the wheel: add them to [tool.setuptools.data-files]"
    )


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; dependencies from this environment."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    # PySide6, aiohttp and platformdirs from this environment: a path (not a site folder), so this
    # environment's editable install of the project is not seen there.
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(site_packages) / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _run(venv: Path, program: str, *args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LLS_", "PYTHON"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    folder = venv / ("Scripts" if sys.platform == "win32" else "bin")
    return subprocess.run(
        [str(folder / program), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=data_dir.parent,
        stdin=subprocess.DEVNULL,
    )


def test_installed_wheel_runs_lls_and_finds_resources(installed: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    version = _run(installed, "lls", "--version", data_dir=data_dir)
    assert version.returncode == 0, version.stderr
    from applet import __version__

    assert version.stdout.strip() == f"lls {__version__}"
    located = _run(
        installed,
        "python",
        "-c",
        "import applet.resources as r; print(r.__file__); print(r.resource_path('icons', 'licensing.svg'))",
        data_dir=data_dir,
    )
    assert located.returncode == 0, located.stderr
    module_file, icon = (Path(line) for line in located.stdout.splitlines())
    # The package and its resources both come from the installed wheel, not from the source tree.
    assert installed in module_file.parents
    assert icon == installed / "share" / "licensing" / "resources" / "icons" / "licensing.svg"
    assert icon.is_file()


def test_installed_wheel_opens_the_applet(installed: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    completed = _run(installed, "licensing", "--data-dir", str(data_dir), "--self-test", data_dir=data_dir)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert (data_dir / "licensing.sqlite3").is_file()


def test_installed_wheel_has_the_man_page_and_completions(installed: Path, tmp_path: Path) -> None:
    from applet.cli.shell import SHARE_FILES

    for relative in SHARE_FILES.values():
        assert (installed / "share" / relative).is_file(), f"{relative} is missing from the wheel"
    printed = _run(installed, "lls", "completion", "bash", data_dir=tmp_path / "store")
    assert printed.returncode == 0, printed.stderr
    assert (installed / "share" / SHARE_FILES["bash"]).read_text(encoding="utf-8") == printed.stdout
    assert ".SS lls product add" in (installed / "share" / SHARE_FILES["man"]).read_text(encoding="utf-8")
