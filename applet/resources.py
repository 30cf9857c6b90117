"""Where the shipped resources (icons, help pages, agreements, translations) are found.

The ``resources/`` folder sits at the top of the source tree, next to the ``applet`` package. The one
function :func:`resource_path` finds it in every way Licensing runs; everything that reads a resource
(the GUI's icons, the help viewer, the agreement texts, the translations) goes through it.

Lookup order (the first folder that exists wins):

1. ``$LLS_RESOURCES_DIR`` (a developer or a test pointing at another copy);
2. ``sys._MEIPASS/resources`` when frozen by PyInstaller: the spec must collect the folder with
   ``datas=[("resources", "resources")]``;
3. ``<package>/../resources``: a source checkout or an editable install;
4. ``<prefix>/share/licensing/resources``: a wheel install; ``pyproject.toml`` ships the folder as
   ``[tool.setuptools.data-files]``, which pip installs under the environment's prefix (``sys.prefix``,
   or the user base for ``pip install --user``).

This module imports nothing heavy, so the CLI can use it too.
"""

import os
import site
import sys
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resources_root() -> Path:
    """The folder that holds ``icons/``, ``help/``, ``agreements/`` and ``translations/``.

    Raises:
        FileNotFoundError: no candidate folder exists (a broken install).
    """
    candidates: list[Path] = []
    override = os.environ.get("LLS_RESOURCES_DIR")
    if override:
        candidates.append(Path(override))
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        candidates.append(Path(frozen_base) / "resources")
    candidates.append(_PACKAGE_DIR.parent / "resources")
    for prefix in (sys.prefix, site.getuserbase()):
        candidates.append(Path(prefix) / "share" / "licensing" / "resources")
    for folder in candidates:
        if (folder / "icons").is_dir():
            return folder
    searched = ", ".join(str(folder) for folder in candidates)
    raise FileNotFoundError(f"the Licensing resources folder is missing (looked in {searched})")


def resource_path(*parts: str) -> Path:
    """The path of a shipped resource, e.g. ``resource_path("icons", "licensing.svg")``.

    The path is returned even when the file does not exist, so callers can choose how to report it.
    """
    return resources_root().joinpath(*parts)


def read_resource_text(*parts: str) -> str:
    """A shipped text resource (UTF-8), e.g. ``read_resource_text("agreements", "per-seat.html")``."""
    return resource_path(*parts).read_text(encoding="utf-8")
