"""Compliance of a product: compliant, at its limit, or over it (the License Manager status icons)."""

from enum import StrEnum


class Compliance(StrEnum):
    """The three states License Manager's Products View shows with an icon."""

    COMPLIANT = "compliant"
    AT_LIMIT = "at-limit"
    OVER_LIMIT = "over-limit"

    @property
    def label(self) -> str:
        """Words for the state."""
        return {
            Compliance.COMPLIANT: "Compliant",
            Compliance.AT_LIMIT: "At limit",
            Compliance.OVER_LIMIT: "Over the limit",
        }[self]


def per_server_compliance(in_use: int, limit: int) -> Compliance:
    """Per Server: compare concurrent clients with the licensed limit."""
    if in_use > limit:
        return Compliance.OVER_LIMIT
    if in_use == limit and limit > 0:
        return Compliance.AT_LIMIT
    return Compliance.COMPLIANT


def per_seat_compliance(allocated: int, purchased: int, unlicensed: int) -> Compliance:
    """Per Seat: any unlicensed user is a violation; a full pool is at the limit."""
    if unlicensed > 0 or allocated > purchased:
        return Compliance.OVER_LIMIT
    if allocated == purchased and purchased > 0:
        return Compliance.AT_LIMIT
    return Compliance.COMPLIANT
