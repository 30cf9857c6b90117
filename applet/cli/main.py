"""Entry point of ``lls``: the parser, the dispatch, and the exit-code contract (DESIGN.md section 7).

Exit codes: 0 success; 2 bad usage or bad input; 3 license denied; 4 service not reachable; 1 anything
else (environment faults such as a locked or corrupt store), always with a one-line message on stderr.
:mod:`applet.cli.errors` holds them with :class:`CommandError` and :func:`classify`; command modules
import those from there, never this module (which imports them).

Command groups are the modules in :data:`COMMAND_GROUPS`, each with ``register(subparsers, common)``.
Modules import lazily what they need, so that ``lls product list`` never pays for Qt or the HTTP stack.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NoReturn

from applet import __version__
from applet.cli import admin, completion, config_command, gui, manager_command, operations, replication
from applet.cli import service as service_commands
from applet.cli.errors import EXIT_OK, EXIT_USAGE, classify
from applet.store.config import check_configuration


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2; epilogs (examples) keep their lines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def format_help(self) -> str:
        """The help, ending with the command's examples (looked up only now: lls starts without them)."""
        if not self.epilog:
            from applet.cli.examples import examples_epilog

            self.epilog = examples_epilog(self.prog)
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"lls: error: {message} (see `{self.prog} --help`)\n")


Handler = Callable[[argparse.Namespace], int | None]

# Modules that add sub-commands, imported above so the dependency is visible (no loading by name).
COMMAND_GROUPS: tuple[ModuleType, ...] = (
    admin,
    replication,
    service_commands,
    operations,
    gui,
    manager_command,
    completion,
    config_command,
)


def common_options() -> argparse.ArgumentParser:
    """``--data-dir``, ``--config`` and ``--json``, accepted before or after the sub-command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="read this configuration file alone (default: $LLS_CONFIG, else the per-user licensing.toml "
        "over /etc/licensing/licensing.toml; see `lls config show`)",
    )
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="the store's folder (default: $LLS_DATA_DIR, else data_dir of the configuration file, else the "
        "per-user data folder)",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole ``lls`` parser."""
    common = common_options()
    parser = OneLineParser(
        prog="lls",
        description="Licensing: license-usage monitoring (License Logging Service).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"lls {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    subparsers.required = True
    for module in COMMAND_GROUPS:
        module.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lls`` and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data_dir = getattr(args, "data_dir", None)
    args.json = getattr(args, "json", False)
    handler: Handler = args.handler
    try:
        check_configuration(getattr(args, "config", None))
        return handler(args) or EXIT_OK
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # the contract: a one-line message, never a traceback for known faults
        code, message = classify(error)
        print(f"lls: error: {message}", file=sys.stderr)
        return code
