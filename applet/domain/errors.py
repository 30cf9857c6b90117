"""Errors raised when a request breaks a licensing rule or carries bad input.

Every subclass of :class:`LicensingError` is a *user* error: the CLI prints its message on one line and
exits 2, the GUI shows it in a message box, the API answers 4xx. Anything else is a bug or an
environment fault.
"""


class LicensingError(Exception):
    """A request that the rules refuse; the message is meant for the administrator."""


class InvalidInput(LicensingError):
    """A name, quantity or other value that is malformed or out of range."""


class UnknownProduct(LicensingError):
    """The named product is not registered."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown product: {name!r}")
        self.name = name


class ModeChangeRefused(LicensingError):
    """A licensing-mode change the rules do not allow (Per Seat back to Per Server)."""


class AgreementRequired(LicensingError):
    """The administrator has not agreed to the license terms the change needs."""


class InsufficientLicenses(LicensingError):
    """Removing more licenses than the ledger holds."""
