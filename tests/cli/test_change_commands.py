"""Every ``lls`` command is either guarded as a change (only an administrator changes a machine-wide store)
or listed here as one that leaves the store alone: a new command fails this test until it is classified.

The guard itself is exercised by a real other-user process in tests/cli/test_admin_access.py.
"""

import argparse
from collections.abc import Iterator

from applet.cli.main import build_parser

# Guarded by @changes_store: refused before the store is opened unless the user may change it.
CHANGES = {
    "product add",
    "product remove",
    "product observe",
    "mode",
    "licenses add",
    "licenses remove",
    "group add",
    "group members",
    "group remove",
    "reset",
    "replication set",
    "replication now",
    "enterprise enroll",
    "enterprise remove",
    "service run",
    "service start",
    "service stop",
    "service startup",
}
# Leave the store as it is. `clients` lists for anyone; its `delete USER` form checks inline.
# `request` and `free` are a licensed program's calls to the service, not an administrator's changes;
# `applet` and `manager` open the GUIs, which apply the rule themselves.
READS = {
    "paths",
    "product list",
    "product show",
    "history",
    "clients",
    "group list",
    "events",
    "replication show",
    "replication status",
    "enterprise servers",
    "enterprise products",
    "enterprise clients",
    "enterprise report",
    "service status",
    "request",
    "free",
    "leases",
    "report compliance",
    "export",
    "applet",
    "manager",
    "completion",
    "config show",
}


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, object]]:
    """Every leaf command of ``parser`` with its handler."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from commands(child, (*prefix, name))
            return
    yield " ".join(prefix), parser.get_default("handler")


def test_every_command_is_classified_and_every_change_is_guarded() -> None:
    found = dict(commands(build_parser()))
    assert set(found) == CHANGES | READS, "classify the new command here: a change or a read"
    guarded = {name for name, handler in found.items() if hasattr(handler, "__wrapped__")}
    assert guarded == CHANGES
