"""Setup mode for product installers: ``licensing --setup --product NAME [--mode M] [--users N]``.

It stands in for the original applet's setup entry point and the unattended-setup keys
``AutoMode = PerSeat | PerServer`` and ``AutoUsers = N`` (users only with Per Server):

* the product is registered if it is not (Per Server with 0 concurrent connections, the default of the
  original product setups);
* interactive: Choose Licensing Mode opens on that product alone, with the requested mode and number
  of concurrent connections already staged; OK still asks for the license agreements;
* ``--unattended``: the changes are written at once, without any window; the installer accepts the
  license terms on the administrator's behalf, as the unattended answer file did.

Per Seat back to Per Server is refused in both (exit 2). The rules and the writes without a window are
:mod:`applet.store.product_setup`'s; this module imports Qt only for the dialog.
"""

import sys
from typing import TYPE_CHECKING

from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.exit_codes import exit_status
from applet.store.identity import current_administrator
from applet.store.product_setup import (
    SETUP_COMMENT,
    apply_setup,
    parse_setup,
    per_server_change,
    register_product,
)

if TYPE_CHECKING:
    from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog


def run_unattended(data_dir: str | None, product: str, mode: str | None, users: str | None) -> int:
    """Apply the setup without UI; print one line; return the exit code (0, 2 bad input, 1 fault)."""
    try:
        chosen, count = parse_setup(mode, users)
        with Store.open(data_dir) as store:
            record = apply_setup(store, product, chosen, count, current_administrator())
    except Exception as error:  # exit_status re-raises anything that is not a user error or a store fault
        code, message = exit_status(error)
        print(f"licensing: error: {message}", file=sys.stderr)
        return code
    detail = (
        f"{record.concurrent_limit} concurrent connections"
        if record.mode is LicenseMode.PER_SERVER
        else f"{record.per_seat_licenses} Per Seat licenses"
    )
    print(f"{record.name}: {record.mode.label}, {detail}.")
    return 0


def open_setup_dialog(
    store: Store, product: str, mode: str | None, users: str | None
) -> "ChooseLicensingModeDialog":
    """Register the product if needed and build Choose Licensing Mode on it alone, changes staged.

    Raises:
        LicensingError: bad ``--mode``/``--users``, or Per Seat back to Per Server.
        StoreError: the store cannot be read or written.
    """
    from applet.domain.products import Product
    from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog

    chosen, count = parse_setup(mode, users)
    record = register_product(store, product, current_administrator())
    if chosen is not None:
        # The same rule as OK will apply, checked now so an impossible request fails before any window.
        Product(record.name, record.mode, flip_allowed=record.flip_allowed).change_mode(chosen, agreed=True)
    dialog = ChooseLicensingModeDialog(store, product=record.name, only_product=True)
    draft = dialog.current_draft()
    assert draft is not None
    if count is not None and record.mode is LicenseMode.PER_SERVER:
        change = per_server_change(record, count)
        if change > 0:
            draft.stage_add(change, SETUP_COMMENT)
        elif change < 0:
            draft.stage_remove(-change, SETUP_COMMENT)
    if chosen is LicenseMode.PER_SEAT and record.mode is LicenseMode.PER_SERVER:
        draft.stage_per_seat()
    dialog.reload(select=record.name)
    return dialog
