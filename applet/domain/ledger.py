"""The purchase ledger: append-only license purchases and removals; entitlement is their sum.

Nothing edits a purchase in place. A removal is a negative entry, and no removal may take a product's
entitlement (for that mode) below zero.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from applet.domain.errors import InsufficientLicenses
from applet.domain.products import LicenseMode


@dataclass(frozen=True)
class Purchase:
    """One ledger line: ``quantity`` > 0 for a purchase, < 0 for a removal."""

    product: str
    mode: LicenseMode
    quantity: int
    administrator: str
    comment: str = ""
    when: str = ""
    purchase_id: int | None = None


class PurchaseLedger:
    """The ledger lines of one product, with the rules for adding and removing licenses."""

    def __init__(self, entries: Iterable[Purchase] = ()) -> None:
        self._entries: list[Purchase] = list(entries)

    @property
    def entries(self) -> tuple[Purchase, ...]:
        """All lines, oldest first."""
        return tuple(self._entries)

    def entitlement(self, mode: LicenseMode) -> int:
        """Licenses held for ``mode``: the sum of that mode's lines."""
        return sum(entry.quantity for entry in self._entries if entry.mode is mode)

    def check_removal(self, mode: LicenseMode, quantity: int) -> None:
        """Raise :class:`InsufficientLicenses` if removing ``quantity`` would go below zero."""
        held = self.entitlement(mode)
        if quantity > held:
            raise InsufficientLicenses(f"cannot remove {quantity} {mode.label} licenses: only {held} remain")

    def append(self, entry: Purchase) -> None:
        """Record ``entry`` after checking that a removal is covered."""
        if entry.quantity < 0:
            self.check_removal(entry.mode, -entry.quantity)
        self._entries.append(entry)
