"""``lls applet``: open the Licensing applet (Choose Licensing Mode) from the command line.

Qt is imported only inside the handler, so no other ``lls`` command pays for it.
"""

import argparse
from typing import Any


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``applet`` to ``lls``."""
    parser = subparsers.add_parser(
        "applet", help="open the Licensing applet (Choose Licensing Mode)", parents=[common]
    )
    parser.add_argument("--self-test", action="store_true", help="exit right after the first paint")
    parser.set_defaults(handler=cmd_applet)


def cmd_applet(args: argparse.Namespace) -> int:
    """Run the applet on the same store as the other commands."""
    from applet.ui.licensing_main import main as licensing_main

    argv: list[str] = []
    if args.data_dir:
        argv += ["--data-dir", str(args.data_dir)]
    if args.self_test:
        argv.append("--self-test")
    return licensing_main(argv)
