"""Product setup for installers (``licensing --setup``): everything but the window.

It stands in for the original applet's setup entry point and the unattended-setup keys
``AutoMode = PerSeat | PerServer`` and ``AutoUsers = N`` (users only with Per Server). The arguments are
checked here, the product is registered if it is not (Per Server with 0 concurrent connections, the
default of the original product setups), and :func:`apply_setup` writes an unattended setup; the
interactive setup in :mod:`applet.ui.licensing.setup` stages the same change in Choose Licensing Mode.
"""

from applet.domain.errors import InvalidInput, UnknownProduct
from applet.domain.products import LicenseMode
from applet.domain.validation import parse_quantity
from applet.store.records import ProductRecord
from applet.store.store import Store

SETUP_COMMENT = "product setup"


def parse_setup(mode: str | None, users: str | None) -> tuple[LicenseMode | None, int | None]:
    """Check ``--mode`` and ``--users``; raise :class:`InvalidInput` when they are wrong."""
    chosen = LicenseMode.parse(mode) if mode else None
    count = parse_quantity(users, "--users", allow_zero=True) if users is not None else None
    if count is not None and chosen is LicenseMode.PER_SEAT:
        raise InvalidInput("--users applies to Per Server mode only")
    return chosen, count


def register_product(store: Store, product: str, administrator: str) -> ProductRecord:
    """The product, registered first (Per Server, no licenses) if it is not yet."""
    try:
        return store.products.get(product)
    except UnknownProduct:
        return store.products.add(product, administrator)


def per_server_change(record: ProductRecord, users: int) -> int:
    """Per Server licenses to add (> 0) or to remove (< 0) so that ``record`` allows ``users`` connections."""
    return users - record.per_server_licenses


def apply_setup(
    store: Store, product: str, mode: LicenseMode | None, users: int | None, administrator: str
) -> ProductRecord:
    """Write an unattended setup: register, change the mode, reach ``users`` concurrent connections.

    The installer accepts the license terms on the administrator's behalf, as the unattended answer file
    did. Per Seat back to Per Server raises :class:`~applet.domain.errors.ModeChangeRefused`.
    """
    record = register_product(store, product, administrator)
    if mode is not None and mode is not record.mode:
        record = store.products.change_mode(
            record.name, mode, True, administrator, expected_revision=record.revision
        )
    if users is not None and record.mode is LicenseMode.PER_SERVER:
        change = per_server_change(record, users)
        if change > 0:
            store.ledger.add(record.name, change, administrator, True, SETUP_COMMENT, LicenseMode.PER_SERVER)
        elif change < 0:
            store.ledger.remove(record.name, -change, administrator, SETUP_COMMENT, LicenseMode.PER_SERVER)
    return store.products.get(record.name)
