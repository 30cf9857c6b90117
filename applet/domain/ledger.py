"""The purchase ledger: append-only license purchases and removals; entitlement is their sum.

Nothing edits a purchase in place. A removal is a negative entry, and no removal may take a product's
entitlement (for that mode) below zero.

Certificates. Every purchase line is a *certificate* (the original's license certificate, one per
purchase) that knows how many of its licenses are left. A removal draws from one certificate, never more
than is left on it, and names it (``certificate_id``). What is left on a certificate is not stored: it
is its quantity minus what the later lines drew from it, decided by :meth:`PurchaseLedger.certificates`
from the lines alone. Lines that name no certificate draw from the newest certificates of their mode
with licenses left, then older ones: removals recorded before certificates existed, and the line that
gives up every Per Server license on the change to Per Seat. A removal asked for without a certificate
is planned the same way (:meth:`PurchaseLedger.plan_removal`) and recorded as one line per certificate.

A history reset replaces a product's lines of one mode by one *balance carried forward* line, itself a
certificate holding what was left, so every limit and total stays what it was.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from applet.domain.errors import InsufficientLicenses, InvalidInput
from applet.domain.products import LicenseMode

GIVE_UP_COMMENT = "Per Server licenses given up on the change to Per Seat licensing"
CARRIED_FORWARD_COMMENT = "balance carried forward (purchase history reset)"


class LineKind(StrEnum):
    """What a ledger line records."""

    PURCHASE = "purchase"  # licenses bought: a certificate
    REMOVAL = "removal"  # licenses removed by the administrator, from one certificate
    CARRIED_FORWARD = "carried-forward"  # a history reset's balance: a certificate
    MODE_CHANGE = "mode-change"  # Per Server licenses given up on the change to Per Seat

    @property
    def is_certificate(self) -> bool:
        """Purchases and balances carried forward hold licenses that removals draw from."""
        return self in (LineKind.PURCHASE, LineKind.CARRIED_FORWARD)


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
    certificate_id: int | None = None
    kind: LineKind | None = None  # None: PURCHASE for a positive quantity, REMOVAL for a negative one

    @property
    def line_kind(self) -> LineKind:
        """The kind, defaulted from the sign of the quantity."""
        if self.kind is not None:
            return self.kind
        return LineKind.PURCHASE if self.quantity > 0 else LineKind.REMOVAL


@dataclass(frozen=True)
class Certificate:
    """A purchase (or a balance carried forward) and how many of its licenses are left."""

    purchase_id: int
    mode: LicenseMode
    quantity: int
    remaining: int


def parse_certificate_id(value: object) -> int:
    """A certificate (purchase id) from an int or a decimal string, or :class:`InvalidInput`."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(f"certificate must be a purchase id (a positive whole number), not {value!r}")
    return int(text)


class PurchaseLedger:
    """The ledger lines of one product (oldest first), with the rules for adding and removing licenses."""

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

    def certificates(self, mode: LicenseMode | None = None) -> list[Certificate]:
        """Every certificate (of ``mode``, or of both) with what is left on it, newest first."""
        left: dict[int, int] = {}
        modes: dict[int, LicenseMode] = {}
        bought: dict[int, int] = {}
        for entry in self._entries:
            if entry.purchase_id is None:
                continue
            if entry.quantity > 0:
                left[entry.purchase_id] = bought[entry.purchase_id] = entry.quantity
                modes[entry.purchase_id] = entry.mode
            elif entry.certificate_id in left:
                left[entry.certificate_id] += entry.quantity
            else:
                # No certificate named: newest first (see the module docstring).
                wanted = -entry.quantity
                for purchase_id in sorted(left, reverse=True):
                    if wanted == 0:
                        break
                    if modes[purchase_id] is entry.mode and left[purchase_id] > 0:
                        drawn = min(wanted, left[purchase_id])
                        left[purchase_id] -= drawn
                        wanted -= drawn
        return [
            Certificate(purchase_id, modes[purchase_id], bought[purchase_id], left[purchase_id])
            for purchase_id in sorted(left, reverse=True)
            if mode is None or modes[purchase_id] is mode
        ]

    def plan_removal(
        self, mode: LicenseMode, quantity: int, certificate_id: int | None = None
    ) -> list[tuple[int, int]]:
        """The draws a removal of ``quantity`` makes: ``[(certificate id, licenses), ...]``.

        With ``certificate_id``: that one certificate (which must belong to this ledger, be of ``mode``
        and hold at least ``quantity``). Without: the newest certificates with licenses left first, one
        draw per certificate.

        Raises:
            InvalidInput: the certificate is not one of this product's certificates of ``mode``.
            InsufficientLicenses: not that many licenses are left (on the certificate, or at all).
        """
        certificates = self.certificates()
        if certificate_id is not None:
            chosen = next((c for c in certificates if c.purchase_id == certificate_id), None)
            if chosen is None:
                raise InvalidInput(f"unknown certificate {certificate_id}")
            if chosen.mode is not mode:
                raise InvalidInput(
                    f"certificate {certificate_id} holds {chosen.mode.label} licenses, not {mode.label}"
                )
            if chosen.remaining == 0:
                raise InsufficientLicenses(f"certificate {certificate_id} has no licenses left")
            if quantity > chosen.remaining:
                raise InsufficientLicenses(
                    f"cannot remove {quantity} licenses from certificate {certificate_id}: "
                    f"only {chosen.remaining} left on it"
                )
            return [(certificate_id, quantity)]
        self.check_removal(mode, quantity)
        draws: list[tuple[int, int]] = []
        wanted = quantity
        for certificate in certificates:
            if wanted == 0:
                break
            if certificate.mode is mode and certificate.remaining > 0:
                drawn = min(wanted, certificate.remaining)
                draws.append((certificate.purchase_id, drawn))
                wanted -= drawn
        return draws

    def append(self, entry: Purchase) -> None:
        """Record ``entry`` after checking that a removal is covered (by its certificate, if it names one)."""
        if entry.quantity < 0:
            if entry.certificate_id is not None:
                self.plan_removal(entry.mode, -entry.quantity, entry.certificate_id)
            else:
                self.check_removal(entry.mode, -entry.quantity)
        self._entries.append(entry)
