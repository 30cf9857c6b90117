"""Compliance of a product: compliant, at its limit, or over it (License Manager's status symbols).

One meaning everywhere (Products View, a product's properties, ``lls product show``, the compliance
report): the product's usage since the last reset against what was purchased for its mode, whether the
service runs or not. Per Server judges the high-water mark, the most clients connected at once since
the last ``lls reset usage`` (the original's "Per Server Reached"), against the concurrent connections
purchased; the clients connected right now are shown beside it ("In Use") and never decide it. Per Seat
judges the clients recorded: any unlicensed client is over the limit, a pool whose every license is
allocated is at it. :func:`product_compliance` decides; everybody calls it.
"""

from enum import StrEnum

from applet.domain.products import LicenseMode


class Compliance(StrEnum):
    """The three states License Manager's Products View shows with a symbol."""

    COMPLIANT = "compliant"
    AT_LIMIT = "at-limit"
    OVER_LIMIT = "over-limit"

    @property
    def label(self) -> str:
        """Words for the state (as License Manager says them)."""
        return {
            Compliance.COMPLIANT: "Compliant",
            Compliance.AT_LIMIT: "At the limit",
            Compliance.OVER_LIMIT: "Over the limit",
        }[self]


def product_compliance(
    mode: LicenseMode,
    per_server_purchased: int,
    per_server_peak: int,
    per_seat_purchased: int,
    per_seat_allocated: int,
    per_seat_unlicensed: int,
) -> Compliance:
    """The compliance of a product in ``mode``: only that mode's figures count."""
    if mode is LicenseMode.PER_SEAT:
        return per_seat_compliance(per_seat_allocated, per_seat_purchased, per_seat_unlicensed)
    return per_server_compliance(per_server_peak, per_server_purchased)


def per_server_compliance(peak: int, purchased: int) -> Compliance:
    """Per Server: the most concurrent clients since the last reset against the connections purchased."""
    if peak > purchased:
        return Compliance.OVER_LIMIT
    if peak == purchased and purchased > 0:
        return Compliance.AT_LIMIT
    return Compliance.COMPLIANT


def per_seat_compliance(allocated: int, purchased: int, unlicensed: int) -> Compliance:
    """Per Seat: any unlicensed client is a violation; a fully allocated pool is at the limit."""
    if unlicensed > 0 or allocated > purchased:
        return Compliance.OVER_LIMIT
    if allocated == purchased and purchased > 0:
        return Compliance.AT_LIMIT
    return Compliance.COMPLIANT
