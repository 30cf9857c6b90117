"""Errors and exit codes of ``lls``: :class:`CommandError` and :func:`classify`.

The command modules (admin, service, ...) import these from here, not from :mod:`applet.cli.main`,
which imports the command modules: no import cycle. The exit codes themselves are the contract shared
with the GUI commands and live one layer down, in :mod:`applet.store.exit_codes`.
"""

from applet.store.exit_codes import (
    EXIT_DENIED,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    exit_status,
    one_line,
)

__all__ = [
    "EXIT_DENIED",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "CommandError",
    "classify",
]


class CommandError(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def classify(error: BaseException) -> tuple[int, str]:
    """Exit code and one-line message for an exception; unknown errors re-raise (they are bugs)."""
    if isinstance(error, CommandError):
        return error.code, one_line(error)
    return exit_status(error)
