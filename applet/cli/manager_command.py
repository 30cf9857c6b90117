"""``lls manager``: open License Manager from the command line, on the same store as the other commands.

Qt is imported only inside the handler, so no other ``lls`` command pays for it.
"""

import argparse
from typing import Any


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``manager`` to ``lls``."""
    parser = subparsers.add_parser(
        "manager",
        help="open License Manager (purchases, products, clients, servers, events)",
        parents=[common],
    )
    parser.add_argument("--self-test", action="store_true", help="exit once the first tab has loaded")
    parser.set_defaults(handler=cmd_manager)


def cmd_manager(args: argparse.Namespace) -> int:
    """Run License Manager until its window closes."""
    from applet.cli.errors import EXIT_FAILURE, CommandError

    try:
        from applet.ui.manager.main import run
    except ImportError as error:  # a command-line-only build (no Qt): say so in one line
        raise CommandError(f"License Manager is not available in this build: {error}", EXIT_FAILURE) from None
    return run(args.data_dir, self_test=args.self_test)
