"""Entry point of ``lls``: the parser, the dispatch, and the exit-code contract (DESIGN.md section 7).

Exit codes: 0 success; 2 bad usage or bad input; 3 license denied; 4 service not reachable; 1 anything
else (environment faults such as a locked or corrupt store), always with a one-line message on stderr.

Command groups register themselves through :data:`COMMAND_GROUPS`; each is a module with
``register(subparsers, common)``. Modules import lazily what they need, so that ``lls product list``
never pays for Qt or the HTTP stack.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from applet import __version__

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_DENIED = 3
EXIT_UNREACHABLE = 4


class CommandError(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"lls: error: {message} (see `{self.prog} --help`)\n")


Handler = Callable[[argparse.Namespace], int | None]

# Modules that add sub-commands; see the module docstring.
COMMAND_GROUPS: tuple[str, ...] = (
    "applet.cli.admin",
    "applet.cli.service",
    "applet.cli.gui",
    "applet.cli.manager_command",
)


def common_options() -> argparse.ArgumentParser:
    """``--data-dir`` and ``--json``, accepted before or after the sub-command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="the store's folder (default: $LLS_DATA_DIR, else the per-user data folder)",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole ``lls`` parser."""
    import importlib

    common = common_options()
    parser = OneLineParser(
        prog="lls",
        description="Licensing: license-usage monitoring (License Logging Service).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"lls {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    subparsers.required = True
    for module_name in COMMAND_GROUPS:
        importlib.import_module(module_name).register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lls`` and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data_dir = getattr(args, "data_dir", None)
    args.json = getattr(args, "json", False)
    handler: Handler = args.handler
    try:
        return handler(args) or EXIT_OK
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # the contract: a one-line message, never a traceback for known faults
        code, message = classify(error)
        print(f"lls: error: {message}", file=sys.stderr)
        return code


def classify(error: BaseException) -> tuple[int, str]:
    """Exit code and one-line message for an exception; unknown errors re-raise (they are bugs)."""
    from applet.domain.errors import LicensingError
    from applet.store.database import StoreError

    message = " ".join(str(error).split())
    if isinstance(error, CommandError):
        return error.code, message
    if isinstance(error, LicensingError):
        return EXIT_USAGE, message
    if isinstance(error, StoreError):
        return EXIT_FAILURE, message
    if isinstance(error, OSError):
        return EXIT_FAILURE, message or type(error).__name__
    raise error
