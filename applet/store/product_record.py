"""The record of a registered product, and the mixin every store record shares.

Apart from :mod:`applet.store.records`, which re-exports both (import them from there), so that the
product list, the Licensing applet's first read, creates one dataclass instead of eleven before the
applet's first paint (tests/benchmarks/test_bench_applet.py).
"""

import dataclasses
from dataclasses import dataclass
from typing import Any

from applet.domain.products import LicenseMode


class Record:
    """Mixin: a JSON-ready dict of the fields."""

    def as_dict(self) -> dict[str, Any]:
        """Fields by name; enums as their values."""
        result: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            result[item.name] = value.value if hasattr(value, "value") else value
        return result


@dataclass(frozen=True)
class ProductRecord(Record):
    """A registered product with its current licensing configuration."""

    product_id: int
    name: str
    family: str
    version: str
    mode: LicenseMode
    flip_allowed: bool
    builtin: bool
    peak_in_use: int
    observe_tcp_port: int | None
    observe_sessions: bool
    revision: int
    created: str
    per_server_licenses: int
    per_seat_licenses: int

    @property
    def concurrent_limit(self) -> int:
        """Per Server: concurrent connections allowed (the Per Server ledger sum)."""
        return self.per_server_licenses

    @property
    def licenses(self) -> int:
        """Licenses held for the product's current mode."""
        return self.per_server_licenses if self.mode is LicenseMode.PER_SERVER else self.per_seat_licenses
