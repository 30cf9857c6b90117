"""The exit-code contract of the command-line programs (DESIGN.md section 7), shared by ``lls`` and
``licensing --setup``: it lives here, below both the CLI and the UI, so neither imports the other.

0 success; 2 bad usage or bad input; 3 license denied; 4 service not reachable; 1 anything else
(environment faults such as a locked or corrupt store), always with a one-line message on stderr.
"""

import sqlite3

from applet.domain.errors import LicensingError
from applet.store.database import StoreError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_DENIED = 3
EXIT_UNREACHABLE = 4


def one_line(error: BaseException) -> str:
    """The error's message on one line (whitespace runs, newlines included, become one space)."""
    return " ".join(str(error).split())


def exit_status(error: BaseException) -> tuple[int, str]:
    """Exit code and one-line message for a user error or an environment fault.

    Anything else is re-raised: it is a bug, and its traceback is what a report needs.
    """
    message = one_line(error)
    if isinstance(error, LicensingError):
        return EXIT_USAGE, message
    if isinstance(error, StoreError):
        return EXIT_FAILURE, message
    if isinstance(error, sqlite3.Error):
        # One that no store call translated (a damaged page met by a read): still the environment.
        return EXIT_FAILURE, f"database error: {message}"
    if isinstance(error, OSError):
        return EXIT_FAILURE, message or type(error).__name__
    raise error
