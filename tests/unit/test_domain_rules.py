"""The pure rules: validation, the one-way flip, the ledger, compliance and the event catalogue."""

import pytest

from applet.domain.compliance import Compliance, per_seat_compliance, per_server_compliance
from applet.domain.errors import AgreementRequired, InsufficientLicenses, InvalidInput, ModeChangeRefused
from applet.domain.events import CATALOGUE, EventId, EventType, ViolationThrottle, render
from applet.domain.ledger import Purchase, PurchaseLedger
from applet.domain.products import LicenseMode, Product
from applet.domain.replication import parse_master_address
from applet.domain.validation import clean_name, parse_quantity


@pytest.mark.parametrize("bad", ["", "   ", "x" * 129, "a\x00b", "tab\there", "new\nline", "\x7f", 5, None])
def test_bad_product_names_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        clean_name(bad)


def test_names_are_stripped_and_may_be_128_characters() -> None:
    assert clean_name("  SQL Server  ") == "SQL Server"
    assert clean_name("x" * 128) == "x" * 128


@pytest.mark.parametrize(
    "bad", [0, -1, "0", "-5", "abc", "1.5", "", "1e3", 1_000_001, "99999999999999", True, 2.0]
)
def test_bad_quantities_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        parse_quantity(bad)


def test_quantities_accept_whole_numbers_up_to_a_million() -> None:
    assert parse_quantity("7") == 7
    assert parse_quantity(1_000_000) == 1_000_000
    assert parse_quantity("0", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("typed", "host", "port"),
    [
        ("license-master", "license-master", 8765),
        ("ent.example.com:9000", "ent.example.com", 9000),
        ("LIC_MASTER", "LIC_MASTER", 8765),
        ("\\\\LICMASTER", "LICMASTER", 8765),
        ("\\\\LICMASTER:8800", "LICMASTER", 8800),
        ("10.0.0.1:8765", "10.0.0.1", 8765),
        ("[::1]:9001", "::1", 9001),
        (" a1.b2 ", "a1.b2", 8765),
    ],
)
def test_master_addresses_as_administrators_type_them(typed: str, host: str, port: int) -> None:
    address = parse_master_address(typed)
    assert (address.host, address.port) == (host, port)
    assert parse_master_address(str(address)) == address


@pytest.mark.parametrize(
    "typed",
    [
        "-bad",
        "bad-",
        "a..b",
        "x" * 64,
        "sp ace",
        "bad_host!",
        "host:0",
        "host:65536",
        "host:",
        "::1",
        "[nonsense]:1",
        "http://host",
        "",
        "\\\\",
        "1.2.3.4.5",
        "host:port",
    ],
)
def test_bad_master_addresses_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_master_address(typed)


def test_flip_to_per_seat_needs_agreement_and_is_one_way() -> None:
    product = Product("SQL Server")
    with pytest.raises(AgreementRequired):
        product.change_mode(LicenseMode.PER_SEAT, agreed=False)
    flipped = product.change_mode(LicenseMode.PER_SEAT, agreed=True)
    assert flipped.mode is LicenseMode.PER_SEAT
    assert not flipped.flip_allowed
    with pytest.raises(ModeChangeRefused, match="one-time and one-way"):
        flipped.change_mode(LicenseMode.PER_SERVER, agreed=True)
    assert flipped.change_mode(LicenseMode.PER_SEAT, agreed=False) is flipped


def test_mode_parsing_accepts_the_usual_spellings() -> None:
    assert LicenseMode.parse("PerSeat") is LicenseMode.PER_SEAT
    assert LicenseMode.parse("Per Server") is LicenseMode.PER_SERVER
    with pytest.raises(InvalidInput):
        LicenseMode.parse("per-device")


def test_ledger_entitlement_is_the_sum_and_never_goes_negative() -> None:
    ledger = PurchaseLedger()
    ledger.append(Purchase("P", LicenseMode.PER_SERVER, 10, "admin"))
    ledger.append(Purchase("P", LicenseMode.PER_SEAT, 3, "admin"))
    ledger.append(Purchase("P", LicenseMode.PER_SERVER, -4, "admin"))
    assert ledger.entitlement(LicenseMode.PER_SERVER) == 6
    assert ledger.entitlement(LicenseMode.PER_SEAT) == 3
    with pytest.raises(InsufficientLicenses):
        ledger.append(Purchase("P", LicenseMode.PER_SEAT, -4, "admin"))
    assert len(ledger.entries) == 3


def test_compliance_states() -> None:
    assert per_server_compliance(3, 5) is Compliance.COMPLIANT
    assert per_server_compliance(5, 5) is Compliance.AT_LIMIT
    assert per_server_compliance(6, 5) is Compliance.OVER_LIMIT
    assert per_server_compliance(0, 0) is Compliance.COMPLIANT
    assert per_seat_compliance(2, 5, 0) is Compliance.COMPLIANT
    assert per_seat_compliance(5, 5, 0) is Compliance.AT_LIMIT
    assert per_seat_compliance(5, 5, 1) is Compliance.OVER_LIMIT


def test_event_catalogue_keeps_the_original_ids_and_texts() -> None:
    assert CATALOGUE[EventId.NO_LICENSE].event_type is EventType.ERROR
    assert render(EventId.NO_LICENSE, ["DOMAIN\\alice", "SQL Server 7.0"]) == (
        "No license was available for user DOMAIN\\alice using product SQL Server 7.0."
    )
    assert CATALOGUE[EventId.REPLICATION_FAILED].event_type is EventType.WARNING
    assert int(EventId.OVER_LICENSED) == 221
    assert (
        render(EventId.OVER_LICENSED, [7, "P", 5]) == "Product P needs 7 licenses but only 5 were purchased."
    )
    assert len({int(e) for e in EventId}) == len(EventId)


def test_violation_events_repeat_at_most_once_per_interval_per_product() -> None:
    throttle = ViolationThrottle(interval=6 * 3600)
    assert throttle.allow(EventId.NO_LICENSE, "P", now=0)
    assert not throttle.allow(EventId.NO_LICENSE, "P", now=100)
    assert throttle.allow(EventId.NO_LICENSE, "Q", now=100)
    assert throttle.allow(EventId.OVER_LICENSED, "P", now=100)
    assert not throttle.allow(EventId.NO_LICENSE, "P", now=6 * 3600 - 1)
    assert throttle.allow(EventId.NO_LICENSE, "P", now=6 * 3600)
