"""Another server's products and ledger over its API, as Choose Licensing Mode's jobs use a store.

License Manager connected to a master administers a product of any server of the enterprise
(Server Browser: double-click a product of a server) with the Licensing applet's own Choose Licensing
Mode dialog, its Add Licenses, Remove Licenses (by certificate), Per Seat change and agreements. The
dialog's jobs get a :class:`ServerStore` instead of the local store: the operations of
:class:`~applet.store.licensing_port.LicensingStore`, each one request to that server's admin API
through a :class:`~applet.client.master.ServerAdminClient`.

Design: License Manager talks directly to the server's API; the master does not forward
=======================================================================================

* The master does not know where a server's API listens. A replication batch names its server; the
  address a batch came from is the source of a connection (behind NAT, a proxy, an ephemeral port),
  not where the server accepts administrators. The administrator knows: the address defaults to the
  server's enrolled name on the default port, and can be edited.
* The credential stays per server. Forwarding would make the master's admin token a key to every
  server of the enterprise, and the master a single point whose outage stops the administration of
  servers that are up. Here the administrator gives that server's own admin token (a file copied
  owner-only to this desk), as ``lls`` on that server would use.
* The server applies the rules itself, on its own store: the one-way Per Server -> Per Seat change
  and its agreement, the agreement to add licenses, what is left on a certificate, and the check that
  nobody changed the product since it was read (every change carries the revision the dialog read; the
  server refuses a change to a product at another revision with 409 and writes nothing). What the
  Server Browser shows (the master's copy) catches up at the server's next replication.

Errors become the ones the local store raises, so the dialog's own handling runs unchanged: a 409
whose product is no longer at the revision sent is :class:`~applet.store.products.ConcurrentChange`
(another 409 is the rule's refusal: :class:`~applet.domain.errors.ModeChangeRefused`, or
:class:`~applet.domain.errors.InsufficientLicenses` for a removal), 404 is
:class:`~applet.domain.errors.UnknownProduct`, 400 :class:`~applet.domain.errors.InvalidInput`; a
server that does not answer, refuses the credential, speaks another API version or cannot use its own
database is :class:`ServerUnavailable`, a :class:`~applet.store.database.StoreError` like a locked
store: the dialog says why in one line and keeps every staged edit.

The calls block (the dialog runs them on a worker thread) and are not thread-safe (one worker).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from applet.client.master import RemoteAnswerError, RemoteError, ServerAdminClient
from applet.domain.errors import (
    InsufficientLicenses,
    InvalidInput,
    LicensingError,
    ModeChangeRefused,
    UnknownProduct,
)
from applet.domain.ledger import LineKind
from applet.domain.products import LicenseMode
from applet.store.database import StoreError
from applet.store.products import ConcurrentChange
from applet.store.records import ProductRecord, PurchaseRecord

if TYPE_CHECKING:
    from applet.store.licensing_port import LicensingStore

Result = TypeVar("Result")


class ServerUnavailable(StoreError):
    """The server cannot be used now (does not answer, refuses the credential...); the message says
    why in one line."""


def product_record(answer: dict[str, Any]) -> ProductRecord:
    """A product as the server's API answers it (``ProductRecord.as_dict``)."""
    return ProductRecord(**{**answer, "mode": LicenseMode(answer["mode"])})


def purchase_record(answer: dict[str, Any]) -> PurchaseRecord:
    """A ledger line as the server's API answers it (``PurchaseRecord.as_dict``)."""
    return PurchaseRecord(**{**answer, "mode": LicenseMode(answer["mode"]), "kind": LineKind(answer["kind"])})


class ServerStore:
    """The products and ledger of the server ``client`` is connected to, for Choose Licensing Mode.

    ``product``: the one product administered (the Server Browser's double-click); :meth:`list`
    answers it alone, as the dialog shows it alone.
    """

    def __init__(self, client: ServerAdminClient, product: str) -> None:
        self.client = client
        self.product = product
        self.products = ServerProducts(self)
        self.ledger = ServerLedger(self)

    @property
    def name(self) -> str:
        """The server's address."""
        return self.client.name

    def close(self) -> None:
        """Close the connection."""
        self.client.close()

    def read(self, name: str) -> ProductRecord:
        """The product as the server stores it now."""
        with self.translated(name):
            return product_record(self.client.product(name))

    def revision(self, name: str, expected: int | None) -> int:
        """The revision a write is sent at: the API always checks one; without one the caller means
        the product as it is now."""
        return expected if expected is not None else self.read(name).revision

    def change(self, name: str, expected_revision: int | None, request: Callable[[], Result]) -> Result:
        """Run a write; a 409 becomes ``ConcurrentChange`` when the product is no longer at
        ``expected_revision`` (someone else changed it), else the rule's refusal."""
        try:
            with self.translated(name):
                return request()
        except _Refused as refused:
            if expected_revision is not None and self.read(name).revision != expected_revision:
                raise ConcurrentChange(refused.message) from None
            raise refused.rule(refused.message) from None

    @contextmanager
    def translated(self, name: str) -> Iterator[None]:
        """The server's answers as the local store's errors (see the module)."""
        try:
            yield
        except RemoteAnswerError as error:
            message = _reason(error)
            if error.status == 404:
                raise UnknownProduct(name) from None
            if error.status == 400:
                raise InvalidInput(message) from None
            if error.status == 409:
                raise _Refused(message) from None
            raise ServerUnavailable(str(error)) from None
        except RemoteError as error:
            raise ServerUnavailable(str(error)) from None


class _Refused(Exception):
    """A 409 not yet told apart (someone else's change, or a rule)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def rule(self) -> type[LicensingError]:
        text = self.message.casefold()
        return InsufficientLicenses if "remain" in text or "left on" in text else ModeChangeRefused


def _reason(error: RemoteAnswerError) -> str:
    """The server's own reason, without "the server X answered: " (the dialog names the product)."""
    text = str(error)
    marker = " answered: "
    return text.split(marker, 1)[1] if marker in text else text


class ServerProducts:
    """:class:`~applet.store.licensing_port.ProductsPort` over the server's API."""

    def __init__(self, store: ServerStore) -> None:
        self._store = store

    def list(self) -> list[ProductRecord]:
        """The product administered, if the server still has it."""
        try:
            return [self._store.read(self._store.product)]
        except UnknownProduct:
            return []

    def get(self, name: str) -> ProductRecord:
        """The product as stored on the server now."""
        return self._store.read(name)

    def change_mode(
        self,
        name: str,
        target: LicenseMode,
        agreed: bool,
        administrator: str,
        expected_revision: int | None = None,
    ) -> ProductRecord:
        """``POST .../mode`` at ``expected_revision``."""
        client = self._store.client
        revision = self._store.revision(name, expected_revision)
        answer = self._store.change(
            name,
            expected_revision,
            lambda: client.change_mode(name, target.value, administrator, agreed, revision),
        )
        return product_record(answer)


class ServerLedger:
    """:class:`~applet.store.licensing_port.LedgerPort` over the server's API (Per Server only, as
    Choose Licensing Mode uses it)."""

    def __init__(self, store: ServerStore) -> None:
        self._store = store

    def certificates(self, product: str, mode: LicenseMode) -> list[PurchaseRecord]:
        """``GET .../certificates``."""
        with self._store.translated(product):
            return [purchase_record(row) for row in self._store.client.certificates(product, mode.value)]

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
        """``POST .../licenses`` (Per Server) at ``expected_revision``."""
        _per_server_only(mode)
        client = self._store.client
        revision = self._store.revision(product, expected_revision)
        return self._store.change(
            product,
            expected_revision,
            lambda: client.add_licenses(product, quantity, administrator, comment, agreed, revision),
        )

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
        """``POST .../licenses/remove`` (Per Server, from ``certificate``) at ``expected_revision``."""
        _per_server_only(mode)
        client = self._store.client
        revision = self._store.revision(product, expected_revision)
        return self._store.change(
            product,
            expected_revision,
            lambda: client.remove_licenses(product, quantity, administrator, comment, revision, certificate),
        )


def _per_server_only(mode: LicenseMode | None) -> None:
    if mode not in (None, LicenseMode.PER_SERVER):
        raise InvalidInput("licenses of another server are added and removed Per Server here")


if TYPE_CHECKING:

    def _a_server_store_is_one(store: ServerStore) -> "LicensingStore":
        """mypy checks that :class:`ServerStore` offers every operation Choose Licensing Mode uses."""
        return store
