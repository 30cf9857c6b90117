"""Certificates in the purchase ledger: what is left on each, removals that draw from one, history resets
that carry balances forward, the Per Seat change giving up Per Server licenses, and the upgrade of a
store written by the previous release (schema version 1, ``fixtures/licensing-v1.sql``).

The fixture was made by the release before certificates (main at 2f04de0) with::

    products.add("SQL Server", limit=5, comment="cert-A"); ledger.add("SQL Server", 20, "cert-B")
    ledger.remove("SQL Server", 5) three times          # the issue's defect: "from cert-A" every time
    products.add("Exchange", limit=25); ledger.add("Exchange", 10, mode=per-seat); change_mode(per-seat)
    products.add("Mail", mode=per-seat, limit=3); ledger.remove("Mail", 1)

and dumped with ``sqlite3.Connection.iterdump()``.
"""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from applet.domain.errors import InsufficientLicenses, InvalidInput, LicensingError
from applet.domain.ledger import CARRIED_FORWARD_COMMENT, GIVE_UP_COMMENT, LineKind
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.schema import SCHEMA_VERSION

ADMIN = "tester"
FIXTURE = Path(__file__).parent / "fixtures" / "licensing-v1.sql"


@pytest.fixture
def two_certificates(store: Store) -> tuple[Store, int, int]:
    """The issue's example: SQL Server with cert-A (5 licenses) and then cert-B (20)."""
    store.products.add("SQL Server", ADMIN)
    cert_a = store.ledger.add("SQL Server", 5, ADMIN, agreed=True, comment="cert-A").purchase_id
    cert_b = store.ledger.add("SQL Server", 20, ADMIN, agreed=True, comment="cert-B").purchase_id
    return store, cert_a, cert_b


def remaining(store: Store, product: str) -> dict[int, int]:
    """Certificate id -> licenses left, as `lls history` reports them."""
    return {
        line.purchase_id: line.remaining
        for line in store.ledger.history(product)
        if line.remaining is not None
    }


def test_a_certificate_is_never_drawn_below_what_is_left_on_it(
    two_certificates: tuple[Store, int, int], store_snapshot: Callable[[], list[str]]
) -> None:
    store, cert_a, cert_b = two_certificates
    (line,) = store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)
    assert (line.quantity, line.certificate, line.kind) == (-5, cert_a, LineKind.REMOVAL)
    assert remaining(store, "SQL Server") == {cert_a: 0, cert_b: 20}
    before = store_snapshot()
    for _attempt in range(2):  # the defect: the same 5 could be removed again and again
        with pytest.raises(InsufficientLicenses, match=f"certificate {cert_a} .*no licenses left"):
            store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)
    assert store_snapshot() == before
    assert store.products.get("SQL Server").concurrent_limit == 20
    with pytest.raises(InsufficientLicenses, match="only 20"):
        store.ledger.remove("SQL Server", 21, ADMIN, certificate=cert_b)
    assert store_snapshot() == before


def test_certificates_lists_only_those_with_licenses_left_newest_first(
    two_certificates: tuple[Store, int, int],
) -> None:
    store, cert_a, cert_b = two_certificates
    store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)
    store.ledger.remove("SQL Server", 3, ADMIN, certificate=cert_b)
    shown = store.ledger.certificates("SQL Server", LicenseMode.PER_SERVER)
    assert [(c.purchase_id, c.quantity, c.remaining) for c in shown] == [(cert_b, 20, 17)]
    assert store.ledger.certificates("SQL Server", LicenseMode.PER_SEAT) == []


def test_a_removal_without_certificate_draws_from_the_newest_then_older_ones(
    two_certificates: tuple[Store, int, int],
) -> None:
    store, cert_a, cert_b = two_certificates
    (first,) = store.ledger.remove("SQL Server", 4, ADMIN, comment="returned")
    assert first.certificate == cert_b
    lines = store.ledger.remove("SQL Server", 18, ADMIN, comment="returned")
    # One line per certificate drawn from, newest certificate first.
    assert [(line.quantity, line.certificate, line.comment) for line in lines] == [
        (-16, cert_b, "returned"),
        (-2, cert_a, "returned"),
    ]
    assert remaining(store, "SQL Server") == {cert_a: 3, cert_b: 0}
    assert store.products.get("SQL Server").concurrent_limit == 3
    # Each line is an administrative change of its own: audited and logged (event 234).
    removed = [e for e in store.events.list(product="SQL Server") if e.event_id == 234]
    assert [e.parameters[0] for e in removed] == ["4", "16", "2"]


@pytest.mark.parametrize(
    ("certificate", "error", "message"),
    [
        ("999", InvalidInput, "unknown certificate 999"),
        ("other", InvalidInput, "is a certificate of product 'Exchange', not of 'SQL Server'"),
        ("removal", InvalidInput, "is a removal, not a certificate"),
        ("spent", InsufficientLicenses, "no licenses left"),
        ("seat", InvalidInput, "holds Per Seat licenses, not Per Server"),
        ("x1", InvalidInput, "certificate must be a purchase id"),
        ("0", InvalidInput, "certificate must be a purchase id"),
    ],
)
def test_bad_certificates_are_refused_and_change_nothing(
    two_certificates: tuple[Store, int, int],
    store_snapshot: Callable[[], list[str]],
    certificate: str,
    error: type[LicensingError],
    message: str,
) -> None:
    store, cert_a, _cert_b = two_certificates
    store.products.add("Exchange", ADMIN)
    ids = {
        "other": store.ledger.add("Exchange", 5, ADMIN, agreed=True).purchase_id,
        "spent": cert_a,
        "seat": store.ledger.add("SQL Server", 2, ADMIN, agreed=True, mode=LicenseMode.PER_SEAT).purchase_id,
    }
    ids["removal"] = store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)[0].purchase_id
    chosen = str(ids.get(certificate, certificate))
    before = store_snapshot()
    with pytest.raises(error, match=message.replace("(", r"\(")):
        store.ledger.remove("SQL Server", 1, ADMIN, certificate=chosen, mode=LicenseMode.PER_SERVER)
    assert store_snapshot() == before


def test_a_certificate_chooses_its_mode(store: Store) -> None:
    store.products.add("Mail", ADMIN)
    seat = store.ledger.add("Mail", 4, ADMIN, agreed=True, mode=LicenseMode.PER_SEAT).purchase_id
    (line,) = store.ledger.remove("Mail", 1, ADMIN, certificate=seat)
    assert line.mode is LicenseMode.PER_SEAT
    assert store.products.get("Mail").per_seat_licenses == 3


def test_history_gives_purchases_their_remaining_and_removals_their_certificate(
    two_certificates: tuple[Store, int, int],
) -> None:
    store, cert_a, cert_b = two_certificates
    store.ledger.remove("SQL Server", 2, ADMIN, certificate=cert_a)
    newest, *_ = history = store.ledger.history("SQL Server")
    assert (newest.quantity, newest.certificate, newest.remaining) == (-2, cert_a, None)
    by_id = {line.purchase_id: line for line in history}
    assert (by_id[cert_a].remaining, by_id[cert_a].certificate) == (3, None)
    assert by_id[cert_b].remaining == 20
    as_json = by_id[cert_a].as_dict()
    assert (as_json["purchase_id"], as_json["remaining"], as_json["kind"]) == (cert_a, 3, "purchase")


def test_the_per_seat_change_gives_up_the_per_server_licenses(store: Store) -> None:
    store.products.add("Exchange", ADMIN, limit=25, agreed=True)
    store.ledger.add("Exchange", 10, ADMIN, agreed=True, mode=LicenseMode.PER_SEAT)
    record = store.products.change_mode("Exchange", LicenseMode.PER_SEAT, True, ADMIN)
    assert (record.per_server_licenses, record.per_seat_licenses) == (0, 10)
    given_up = store.ledger.history("Exchange")[0]
    assert (given_up.quantity, given_up.mode, given_up.kind) == (
        -25,
        LicenseMode.PER_SERVER,
        LineKind.MODE_CHANGE,
    )
    assert given_up.comment == GIVE_UP_COMMENT and given_up.administrator == ADMIN
    assert all(
        line.remaining in (None, 0)
        for line in store.ledger.history("Exchange")
        if line.mode is LicenseMode.PER_SERVER
    )
    summary = {s.name: s for s in store.usage.summaries()}["Exchange"]
    assert (summary.per_server_purchased, summary.per_seat_purchased) == (0, 10)
    assert [e.event_id for e in store.events.list(product="Exchange")][-2:] == [234, 235]


def test_the_per_seat_change_without_per_server_licenses_writes_no_line(store: Store) -> None:
    store.products.add("Mail", ADMIN)
    store.products.change_mode("Mail", LicenseMode.PER_SEAT, True, ADMIN)
    assert store.ledger.history("Mail") == []


def test_a_history_reset_carries_every_balance_forward(
    two_certificates: tuple[Store, int, int], store_snapshot: Callable[[], list[str]]
) -> None:
    store, cert_a, _cert_b = two_certificates
    store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)
    store.ledger.add("SQL Server", 7, ADMIN, agreed=True, mode=LicenseMode.PER_SEAT)
    store.ledger.remove("SQL Server", 1, ADMIN, mode=LicenseMode.PER_SEAT)
    store.products.add("Gone", ADMIN, limit=3, agreed=True)
    store.products.remove("Gone", ADMIN)
    store.products.add("Returned", ADMIN, limit=2, agreed=True)
    store.ledger.remove("Returned", 2, ADMIN)
    limits = {p.name: (p.per_server_licenses, p.per_seat_licenses) for p in store.products.list()}
    store.reset("history", "carol")
    assert {p.name: (p.per_server_licenses, p.per_seat_licenses) for p in store.products.list()} == limits
    lines = store.ledger.history()
    assert sorted((line.product, line.mode.value, line.quantity, line.remaining) for line in lines) == [
        ("Gone", "per-server", 3, 3),
        ("SQL Server", "per-seat", 6, 6),
        ("SQL Server", "per-server", 20, 20),
    ]  # "Returned" has nothing left: no line
    assert all(
        (line.kind, line.administrator, line.comment)
        == (LineKind.CARRIED_FORWARD, "carol", CARRIED_FORWARD_COMMENT)
        for line in lines
    )
    assert store.audit_trail(1)[0][1:] == ("carol", "reset", None, "history")
    assert store.events.list(newest_first=True, limit=1)[0].event_id == 240
    # The balance is a certificate like any other: removals draw from it.
    (carried,) = [
        line for line in lines if line.product == "SQL Server" and line.mode is LicenseMode.PER_SERVER
    ]
    store.ledger.remove("SQL Server", 20, ADMIN, certificate=carried.purchase_id)
    assert store.products.get("SQL Server").concurrent_limit == 0


def test_a_history_reset_with_nothing_to_reset_is_refused_and_changes_nothing(
    store: Store, store_snapshot: Callable[[], list[str]]
) -> None:
    before = store_snapshot()
    with pytest.raises(InvalidInput, match="nothing to reset"):
        store.reset("history", ADMIN)
    assert store_snapshot() == before
    store.products.add("IIS", ADMIN, limit=4, agreed=True)
    store.reset("history", ADMIN)
    before = store_snapshot()
    with pytest.raises(InvalidInput, match="nothing to reset"):  # only balances carried forward left
        store.reset("history", ADMIN)
    assert store_snapshot() == before


def test_a_store_of_the_previous_release_is_upgraded(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    old = sqlite3.connect(data_dir / "licensing.sqlite3")
    old.executescript(FIXTURE.read_text())
    old.execute("PRAGMA user_version = 1")
    old.close()
    with Store.open(data_dir) as store:
        assert store.db.schema_version() == SCHEMA_VERSION
        assert list((data_dir / "backups").iterdir())  # the v1 file was copied first
        # The old removals named no certificate: they drew from the newest one with licenses left.
        history = store.ledger.history("SQL Server")
        assert [(line.comment, line.remaining) for line in history if line.quantity > 0] == [
            ("cert-B", 5),
            ("cert-A", 5),
        ]
        assert [line.kind for line in history if line.quantity < 0] == [LineKind.REMOVAL] * 3
        assert store.products.get("SQL Server").concurrent_limit == 10
        # Exchange changed to Per Seat under the old release and kept its 25 Per Server licenses.
        exchange = store.products.get("Exchange")
        assert (exchange.per_server_licenses, exchange.per_seat_licenses) == (0, 10)
        given_up = store.ledger.history("Exchange")[0]
        assert (given_up.quantity, given_up.kind) == (-25, LineKind.MODE_CHANGE)
        assert GIVE_UP_COMMENT in given_up.comment
        assert store.products.get("Mail").per_seat_licenses == 2
        # And the upgraded store works like a new one.
        cert_a = next(line.purchase_id for line in history if line.comment == "cert-A")
        store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)
        with pytest.raises(InsufficientLicenses):
            store.ledger.remove("SQL Server", 5, ADMIN, certificate=cert_a)
