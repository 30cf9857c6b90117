"""Persistence: the SQLite store that the applet, the manager, the CLI and the service share.

``paths`` resolves the data folder, ``database`` opens and migrates the file, ``schema`` holds the
migrations, and :class:`applet.store.store.Store` is the one entry point with a repository per table
family (products, ledger, clients, groups, events, usage, replication, settings).
"""

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
