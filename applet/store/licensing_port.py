"""What Choose Licensing Mode asks of a store: the few operations of its jobs, as a Protocol.

The Licensing applet's dialog (with Add Licenses, Remove Licenses and the agreements) reads products,
the certificates of one product, and writes additions, removals and the change to Per Seat, each at the
revision it read. :class:`~applet.store.store.Store` offers them on this computer;
:class:`~applet.client.server_store.ServerStore` offers the same over another server's API, so the same
dialog administers a product of another server (License Manager's Server Browser). Nothing else of the
store is part of this: a job that needs more is a local job.
"""

from typing import TYPE_CHECKING, Protocol

from applet.domain.products import LicenseMode
from applet.store.records import ProductRecord, PurchaseRecord

if TYPE_CHECKING:
    from applet.store.store import Store


class ProductsPort(Protocol):
    """The products: read them, change one's mode."""

    def list(self) -> list[ProductRecord]:
        """Every product (registered, not removed), by name."""
        ...

    def get(self, name: str) -> ProductRecord:
        """One product as stored now, with its revision (``UnknownProduct`` if it is not registered)."""
        ...

    def change_mode(
        self,
        name: str,
        target: LicenseMode,
        agreed: bool,
        administrator: str,
        expected_revision: int | None = None,
    ) -> object:
        """The one-way change to Per Seat (``ConcurrentChange`` if not at ``expected_revision``)."""
        ...


class LedgerPort(Protocol):
    """The purchase ledger of a product: its certificates, additions and removals."""

    def certificates(self, product: str, mode: LicenseMode) -> list[PurchaseRecord]:
        """Purchases of ``mode`` with licenses left (``remaining``), newest first."""
        ...

    def add(
        self,
        product: str,
        quantity: int,
        administrator: str,
        agreed: bool,
        comment: str = "",
        mode: LicenseMode | None = None,
        expected_revision: int | None = None,
    ) -> object:
        """Record a purchase (a new certificate)."""
        ...

    def remove(
        self,
        product: str,
        quantity: int,
        administrator: str,
        comment: str = "",
        mode: LicenseMode | None = None,
        expected_revision: int | None = None,
        certificate: int | None = None,
    ) -> object:
        """Remove licenses (from ``certificate``, a purchase id, or newest first)."""
        ...


class LicensingStore(Protocol):
    """A store as Choose Licensing Mode's jobs use it."""

    @property
    def products(self) -> ProductsPort:
        """The products."""
        ...

    @property
    def ledger(self) -> LedgerPort:
        """The purchase ledger."""
        ...


if TYPE_CHECKING:

    def _the_local_store_is_one(store: "Store") -> LicensingStore:
        """mypy checks that the local store offers every operation of the Protocol."""
        return store
