"""Product setup for installers, the part without a window (applet.store.product_setup) and the exit codes
that ``licensing --setup`` shares with ``lls`` (applet.store.exit_codes)."""

import pytest

from applet.domain.errors import InvalidInput, ModeChangeRefused
from applet.domain.products import LicenseMode
from applet.store import DatabaseLocked, Store
from applet.store.exit_codes import EXIT_FAILURE, EXIT_USAGE, exit_status
from applet.store.product_setup import SETUP_COMMENT, apply_setup, parse_setup, register_product

ADMIN = "installer"


def test_apply_setup_registers_then_reaches_the_requested_connections(store: Store) -> None:
    record = apply_setup(store, "SNA Server", None, 20, ADMIN)
    assert (record.mode, record.concurrent_limit) == (LicenseMode.PER_SERVER, 20)
    record = apply_setup(store, "SNA Server", None, 5, ADMIN)
    assert record.concurrent_limit == 5
    history = store.ledger.history("SNA Server")
    assert [(line.quantity, line.comment) for line in history] == [(-15, SETUP_COMMENT), (20, SETUP_COMMENT)]
    before = len(store.ledger.history("SNA Server"))
    apply_setup(store, "SNA Server", None, 5, ADMIN)  # already there: nothing written
    assert len(store.ledger.history("SNA Server")) == before


def test_apply_setup_flips_to_per_seat_and_never_back(store: Store) -> None:
    assert apply_setup(store, "Exchange", LicenseMode.PER_SEAT, None, ADMIN).mode is LicenseMode.PER_SEAT
    with pytest.raises(ModeChangeRefused):
        apply_setup(store, "Exchange", LicenseMode.PER_SERVER, None, ADMIN)


def test_register_product_keeps_an_existing_product(store: Store) -> None:
    first = register_product(store, "SQL Server", ADMIN)
    assert register_product(store, "sql server", ADMIN).product_id == first.product_id
    assert [p.name for p in store.products.list()].count("SQL Server") == 1


@pytest.mark.parametrize(
    ("mode", "users", "message"),
    [
        ("per-seat", "3", "Per Server"),
        (None, "-3", "at least 0"),
        ("sideways", None, "per-server or per-seat"),
    ],
)
def test_parse_setup_refuses_bad_arguments(mode: str | None, users: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_setup(mode, users)


def test_exit_status_user_errors_2_environment_1_bugs_reraise() -> None:
    assert exit_status(InvalidInput("bad\nname")) == (EXIT_USAGE, "bad name")
    assert exit_status(DatabaseLocked("locked")) == (EXIT_FAILURE, "locked")
    assert exit_status(PermissionError()) == (EXIT_FAILURE, "PermissionError")
    with pytest.raises(KeyError):
        exit_status(KeyError("a bug"))
