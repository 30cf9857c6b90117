"""Who may change a store: the one rule that ``lls`` and both GUIs follow (the original's §1.7: changing
licensing needs the local Administrators group).

The rule, in one place:

* A **per-user store** (a data folder that is not machine-wide and that the user owns, the default) is
  always writable by its owner.
* A **machine-wide store** is the data folder resolved as machine-wide (``LLS_MACHINE_WIDE=1``:
  ``/var/lib/licensing``, or ``%ProgramData%\\Licensing`` on Windows, whichever way it was chosen) and,
  on Linux and other POSIX systems, any data folder that belongs to another user (a store someone else
  set up is shared, not yours). Only an administrator changes it:

  - Linux/POSIX: root, the owner of the data folder (the service's own system user), or a member of one
    of the groups in :data:`ADMIN_GROUPS` (``licensing-admins``, ``sudo``, ``wheel``, ``admin``);
  - Windows: a member of Administrators in a program run as administrator (``IsUserAnAdmin``).

Anyone else gets the store read-only: ``lls`` refuses every change with exit 1 and :attr:`AdminAccess.reason`
before anything is written (reading commands still work), and the Licensing applet and License Manager
open with every edit action disabled and that same line shown.

:func:`decide_access` is the rule itself, on facts passed in (so tests need not be another OS user);
:func:`caller_facts` and :func:`store_facts` gather the facts from the operating system, and
:func:`store_access` does both.
"""

import os
import sys
from pathlib import Path
from typing import NamedTuple

from applet.store.database import StoreError
from applet.store.paths import DataPaths, machine_store_dir, machine_wide_dir

# Membership in any of these makes a POSIX user an administrator of Licensing. ``licensing-admins`` is
# Licensing's own (for delegating without sudo); the others are the distributions' administrator groups.
ADMIN_GROUPS: tuple[str, ...] = ("licensing-admins", "sudo", "wheel", "admin")

# The source :func:`applet.store.paths.resolve_paths` gives a machine-wide data folder.
MACHINE_WIDE_SOURCE = "LLS_MACHINE_WIDE"


class AdministratorRequired(StoreError):
    """A change to a machine-wide store by someone who is not an administrator (exit 1, like any store
    fault: the request may be fine, the caller may not make it)."""


# NamedTuples, not dataclasses: the GUIs decide before their first paint, and creating a dataclass costs
# about half a millisecond (tests/benchmarks/test_bench_applet.py).


class CallerFacts(NamedTuple):
    """What the rule needs to know about the user running the program.

    Attributes:
        user: the user's name, for the message.
        uid: the effective user id (None on Windows).
        groups: the names of the process's groups (primary and supplementary; empty on Windows).
        windows_admin: on Windows, whether the process runs as a member of Administrators.
    """

    user: str
    uid: int | None
    groups: frozenset[str]
    windows_admin: bool = False


class StoreFacts(NamedTuple):
    """What the rule needs to know about the data folder.

    Attributes:
        data_dir: the folder, for the message.
        machine_wide: resolved as machine-wide, or the machine-wide folder itself.
        owner_uid: who owns the folder (None when it does not exist yet, or on Windows).
    """

    data_dir: Path
    machine_wide: bool
    owner_uid: int | None


class AdminAccess(NamedTuple):
    """The decision: may this user change this store, and if not, the one line that says why."""

    may_change: bool
    reason: str = ""

    def require(self) -> None:
        """Refuse a change unless it is allowed.

        Raises:
            AdministratorRequired: the store is read-only for this user (the message is :attr:`reason`).
        """
        if not self.may_change:
            raise AdministratorRequired(self.reason)


def decide_access(caller: CallerFacts, store: StoreFacts, windows: bool | None = None) -> AdminAccess:
    """The rule of this module's docstring, on facts passed in.

    ``windows`` says which rule applies (default: the platform this runs on).
    """
    if windows is None:
        windows = sys.platform == "win32"
    owned_by_another = (
        store.owner_uid is not None and caller.uid is not None and store.owner_uid != caller.uid
    )
    if not store.machine_wide and not owned_by_another:
        return AdminAccess(True)
    if windows:
        if caller.windows_admin:
            return AdminAccess(True)
        who = "a member of Administrators, in a program run as administrator"
    else:
        if caller.uid == 0 or (caller.uid is not None and caller.uid == store.owner_uid):
            return AdminAccess(True)
        if caller.groups & set(ADMIN_GROUPS):
            return AdminAccess(True)
        *first, last = ADMIN_GROUPS
        who = f"root, its owner or a member of {', '.join(first)} or {last}"
    kind = "machine-wide store" if store.machine_wide else "shared store"
    return AdminAccess(
        False,
        f"Read-only: only an administrator can change the {kind} {store.data_dir} ({who}); "
        f"{caller.user} is not one.",
    )


def caller_facts() -> CallerFacts:
    """The facts about the user running this program, from the operating system."""
    from applet.store.identity import current_administrator

    user = current_administrator()
    if sys.platform == "win32":
        # Imported here: only Windows has shell32, and only a change needs the answer.
        import ctypes

        try:
            is_admin = bool(ctypes.windll.shell32.IsUserAnAdmin())
        except OSError:  # no shell32 (a stripped-down Windows): not provably an administrator
            is_admin = False
        return CallerFacts(user, None, frozenset(), windows_admin=is_admin)
    import grp

    names = set()
    for gid in {os.getegid(), *os.getgroups()}:
        try:
            names.add(grp.getgrgid(gid).gr_name)
        except KeyError:  # a group id with no name (a container's): it cannot be an admin group
            continue
    return CallerFacts(user, os.geteuid(), frozenset(names))


def _same_folder(first: Path, second: Path) -> bool:
    return os.path.normcase(os.path.realpath(first)) == os.path.normcase(os.path.realpath(second))


def store_facts(paths: DataPaths) -> StoreFacts:
    """The facts about ``paths``' data folder, from the file system."""
    # The machine-wide store as the machine-wide configuration file names it (else machine_wide_dir()).
    machine_wide = paths.source == MACHINE_WIDE_SOURCE or any(
        _same_folder(paths.data_dir, folder) for folder in {machine_wide_dir(), machine_store_dir()}
    )
    owner: int | None = None
    if sys.platform != "win32":
        try:
            owner = paths.data_dir.stat().st_uid
        except OSError:  # not there yet (whoever creates it owns it) or unreadable (the OS decides)
            owner = None
    return StoreFacts(paths.data_dir, machine_wide, owner)


def store_access(paths: DataPaths) -> AdminAccess:
    """May the user running this program change the store of ``paths``?"""
    return decide_access(caller_facts(), store_facts(paths))
