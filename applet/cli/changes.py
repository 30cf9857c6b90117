"""The guard in front of every ``lls`` command that changes the store: only an administrator changes a
machine-wide store (the rule is :mod:`applet.store.access`).

A handler marked :func:`changes_store` is refused before it runs, so before the store is even opened:
nothing is half-written. Reading commands are not marked and still work for everyone who can read.
"""

import argparse
import functools
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


def require_change_access(data_dir: str | None) -> None:
    """Refuse unless the user running ``lls`` may change the store of ``data_dir``.

    Raises:
        AdministratorRequired: the store is read-only for this user (exit 1 with its one line).
    """
    from applet.store.access import store_access
    from applet.store.paths import resolve_paths

    store_access(resolve_paths(data_dir)).require()


def changes_store(
    handler: Callable[[argparse.Namespace], Result],
) -> Callable[[argparse.Namespace], Result]:
    """Mark ``handler`` as a command that changes the store: the access rule is applied first."""

    @functools.wraps(handler)
    def guarded(args: argparse.Namespace) -> Result:
        require_change_access(args.data_dir)
        return handler(args)

    return guarded
