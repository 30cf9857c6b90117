"""Products and their licensing mode, with the one-time, one-way Per Server -> Per Seat flip.

The original applet (``liccpa.cpl``) let an administrator convert a product from Per Server to Per Seat
once, after agreeing to the license terms; the reverse is not legally permitted. ``Product.flip_allowed``
mirrors the registry's ``FlipAllow`` value.
"""

from enum import StrEnum
from typing import NamedTuple

from applet.domain.errors import AgreementRequired, InvalidInput, ModeChangeRefused


class LicenseMode(StrEnum):
    """How a product is licensed on this server."""

    PER_SERVER = "per-server"
    PER_SEAT = "per-seat"

    @property
    def label(self) -> str:
        """The name the original UI used."""
        return "Per Server" if self is LicenseMode.PER_SERVER else "Per Seat"

    @classmethod
    def parse(cls, value: object) -> "LicenseMode":
        """Accept ``per-server``/``per-seat`` (also ``perserver``, ``Per Seat``...)."""
        text = str(value).strip().lower().replace(" ", "-").replace("_", "-")
        aliases = {"perserver": "per-server", "perseat": "per-seat"}
        text = aliases.get(text, text)
        try:
            return cls(text)
        except ValueError:
            raise InvalidInput(f"licensing mode must be per-server or per-seat, not {value!r}") from None


ONE_WAY_MESSAGE = (
    "License Violation: the change from Per Server to Per Seat is one-time and one-way; "
    "{name} cannot be changed back to Per Server."
)


class Product(NamedTuple):
    """A license-aware server product registered on this server.

    A NamedTuple, not a dataclass: every GUI loads this module before its first paint, and creating a
    dataclass costs about half a millisecond (tests/benchmarks/test_bench_applet.py).
    """

    name: str
    mode: LicenseMode = LicenseMode.PER_SERVER
    family: str = ""
    version: str = ""
    flip_allowed: bool = True
    product_id: int | None = None

    def change_mode(self, target: LicenseMode, agreed: bool) -> "Product":
        """Return the product in ``target`` mode, enforcing the one-way rule.

        Raises:
            ModeChangeRefused: Per Seat -> Per Server (the flip cannot be undone).
            AgreementRequired: Per Server -> Per Seat without agreeing to the terms.
        """
        if target is self.mode:
            return self
        if target is LicenseMode.PER_SERVER:
            raise ModeChangeRefused(ONE_WAY_MESSAGE.format(name=self.name))
        if not self.flip_allowed:
            raise ModeChangeRefused(f"the one-time licensing mode change of {self.name} was already used")
        if not agreed:
            raise AgreementRequired(
                "changing to Per Seat needs agreement to the Per Seat license terms (--agree)"
            )
        return self._replace(mode=LicenseMode.PER_SEAT, flip_allowed=False)
