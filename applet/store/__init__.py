"""Persistence: the SQLite store that the applet, the manager, the CLI and the service share.

``paths`` resolves the data folder, ``database`` opens and migrates the file, ``schema`` holds the
migrations, and :class:`applet.store.store.Store` is the one entry point with a repository per table
family (products, ledger, clients, groups, events, usage, replication, settings).

The names below are loaded on first use, not when the package is imported: the client imports
``applet.store.paths`` (and the endpoint format) and must not load sqlite3 or the repositories with it
(DESIGN.md section 2: ``import applet.client`` stays light).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from applet.store.database import (
        DatabaseCorrupt,
        DatabaseLocked,
        DatabaseTooNew,
        DataFolderUnwritable,
        StoreError,
    )
    from applet.store.store import Store

__all__ = [
    "DataFolderUnwritable",
    "DatabaseCorrupt",
    "DatabaseLocked",
    "DatabaseTooNew",
    "Store",
    "StoreError",
]

_HOMES = {
    "DataFolderUnwritable": "applet.store.database",
    "DatabaseCorrupt": "applet.store.database",
    "DatabaseLocked": "applet.store.database",
    "DatabaseTooNew": "applet.store.database",
    "StoreError": "applet.store.database",
    "Store": "applet.store.store",
}


def __getattr__(name: str) -> Any:
    """Load :data:`__all__`'s names on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
