"""Fixtures of the packaging tests: the repository root, packaging/build_support.py, the frozen folder.

``packaging/`` is not a Python package (it would shadow PyPI's ``packaging``), so its helpers are loaded
by path. The frozen-folder tests run only when ``LLS_FROZEN_DIR`` names a built ``dist/Licensing``
(``packaging/smoke.sh`` builds one and sets it); elsewhere they are skipped with that reason.
"""

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGING_DIR = REPO_ROOT / "packaging"


def load_packaging_module(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` under its own name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PACKAGING_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The source tree's top folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def build_support() -> ModuleType:
    """packaging/build_support.py."""
    return load_packaging_module("build_support")


@pytest.fixture(scope="session")
def make_icons() -> ModuleType:
    """packaging/make_icons.py."""
    return load_packaging_module("make_icons")


@pytest.fixture(scope="session")
def frozen_dir() -> Path:
    """The built one-folder distribution named by ``LLS_FROZEN_DIR`` (skips when there is none)."""
    named = os.environ.get("LLS_FROZEN_DIR")
    if not named:
        pytest.skip(
            "no frozen build: run packaging/smoke.sh, or set LLS_FROZEN_DIR to a dist/Licensing folder"
        )
    folder = Path(named)
    if not (folder / "lls").exists() and not (folder / "lls.exe").exists():
        pytest.fail(f"LLS_FROZEN_DIR={folder} holds no lls executable: build it with packaging/build.sh")
    return folder
