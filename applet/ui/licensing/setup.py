"""Setup mode for product installers: ``licensing --setup --product NAME [--mode M] [--users N]``.

It stands in for the original applet's setup entry point and the unattended-setup keys
``AutoMode = PerSeat | PerServer`` and ``AutoUsers = N`` (users only with Per Server):

* the product is registered if it is not (Per Server with 0 concurrent connections, the default of the
  original product setups);
* interactive: Choose Licensing Mode opens on that product alone, with the requested mode and number
  of concurrent connections staged as soon as it has loaded (the registration is the first job of its
  store gateway, off the UI thread); OK still asks for the license agreements;
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
    from applet.ui.gateway import StoreGateway
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
    gateway: "StoreGateway", product: str, mode: str | None, users: str | None
) -> "ChooseLicensingModeDialog":
    """Build Choose Licensing Mode on ``product`` alone; its first load registers the product if needed
    and checks the requested mode, and the request is staged once the product is shown (``loaded``).

    A refusal of the request (Per Seat back to Per Server) or a store fault comes through the dialog's
    ``load_failed`` signal, before anything is shown or staged.

    Raises:
        LicensingError: bad ``--mode``/``--users`` (checked at once, before any store work).
    """
    from applet.domain.products import Product
    from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog

    chosen, count = parse_setup(mode, users)
    administrator = current_administrator()

    def register(store: Store) -> None:
        record = register_product(store, product, administrator)
        if chosen is not None:
            # The same rule as OK will apply, checked now so an impossible request fails before it shows.
            current = Product(record.name, record.mode, flip_allowed=record.flip_allowed)
            current.change_mode(chosen, agreed=True)

    dialog = ChooseLicensingModeDialog(gateway, product=product, only_product=True, prepare=register)
    staged = False

    def stage() -> None:
        nonlocal staged
        draft = dialog.current_draft()
        if staged or draft is None:
            return
        staged = True  # once: a reload after a conflict shows the store as it is
        record = draft.record
        if count is not None and record.mode is LicenseMode.PER_SERVER:
            change = per_server_change(record, count)
            if change > 0:
                draft.stage_add(change, SETUP_COMMENT)
            elif change < 0:
                draft.stage_remove(-change, SETUP_COMMENT)
        if chosen is LicenseMode.PER_SEAT and record.mode is LicenseMode.PER_SERVER:
            draft.stage_per_seat()
        dialog.show_current()

    dialog.loaded.connect(stage)
    return dialog
