"""``lls`` and the purchase ledger: certificates, history resets that keep entitlements, the Per Seat
change giving up Per Server licenses, and each mode's figures shown alone (issue 9, items 1-3)."""

from collections.abc import Callable
from typing import Any

import pytest

from applet.store.schema import builtin_product_name

BUILTIN = builtin_product_name()


def certificates(lls: Callable[..., Any]) -> tuple[int, int]:
    """The issue's example: SQL Server with cert-A (5 licenses) and then cert-B (20); their ids."""
    assert lls("product", "add", "SQL Server").code == 0
    cert_a = lls("--json", "licenses", "add", "SQL Server", "5", "--comment", "cert-A", "--agree").json()
    cert_b = lls("--json", "licenses", "add", "SQL Server", "20", "--comment", "cert-B", "--agree").json()
    assert (cert_a["remaining"], cert_b["remaining"]) == (5, 20)
    return cert_a["purchase_id"], cert_b["purchase_id"]


def test_a_certificate_cannot_be_drawn_down_again_and_again(
    lls: Callable[..., Any], store_snapshot: Callable[[], list[str]]
) -> None:
    cert_a, cert_b = certificates(lls)
    removed = lls("--json", "licenses", "remove", "SQL Server", "5", "--certificate", str(cert_a)).json()
    assert [(line["quantity"], line["certificate"]) for line in removed] == [(-5, cert_a)]
    before = store_snapshot()
    for _attempt in range(2):
        again = lls("licenses", "remove", "SQL Server", "5", "--certificate", str(cert_a))
        assert again.code == 2 and again.stderr.count("\n") == 1
        assert f"certificate {cert_a} has no licenses left" in again.stderr
    assert store_snapshot() == before
    history = lls("--json", "history", "--product", "SQL Server").json()
    assert [(h["purchase_id"], h["quantity"], h["remaining"], h["certificate"]) for h in history] == [
        (history[0]["purchase_id"], -5, None, cert_a),
        (cert_b, 20, 20, None),
        (cert_a, 5, 0, None),
    ]
    assert lls("--json", "product", "show", "SQL Server").json()["concurrent_limit"] == 20


def test_remove_without_certificate_takes_the_newest_first_one_line_per_certificate(
    lls: Callable[..., Any],
) -> None:
    cert_a, cert_b = certificates(lls)
    result = lls("licenses", "remove", "SQL Server", "22", "--comment", "returned")
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == (
        f"Removed 22 Per Server licenses for SQL Server: 20 from certificate {cert_b}, "
        f"2 from certificate {cert_a}."
    )
    history = lls("--json", "history", "--product", "SQL Server").json()
    assert [(h["quantity"], h["certificate"], h["comment"]) for h in history[:2]] == [
        (-2, cert_a, "returned"),
        (-20, cert_b, "returned"),
    ]
    assert {h["purchase_id"]: h["remaining"] for h in history if h["quantity"] > 0} == {cert_a: 3, cert_b: 0}
    text = lls("history", "--product", "SQL Server").stdout
    assert "Remaining" in text and "Certificate" in text


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("999", "unknown certificate 999"),
        ("other", "is a certificate of product 'Exchange'"),
        ("removal", "is a removal, not a certificate"),
        ("spent", "has no licenses left"),
        ("ten", "certificate must be a purchase id"),
        ("-1", "certificate must be a purchase id"),
        ("big", "only 20 left on it"),
    ],
)
def test_bad_certificates_are_one_line_exit_2_and_change_nothing(
    lls: Callable[..., Any], store_snapshot: Callable[[], list[str]], which: str, message: str
) -> None:
    cert_a, cert_b = certificates(lls)
    assert lls("product", "add", "Exchange", "--limit", "3", "--agree").code == 0
    other = lls("--json", "history", "--product", "Exchange").json()[0]["purchase_id"]
    removal = lls("--json", "licenses", "remove", "SQL Server", "5", "--certificate", str(cert_a)).json()
    ids = {"other": other, "removal": removal[0]["purchase_id"], "spent": cert_a, "big": cert_b}
    quantity = "21" if which == "big" else "1"
    before = store_snapshot()
    result = lls("licenses", "remove", "SQL Server", quantity, f"--certificate={ids.get(which, which)}")
    assert result.code == 2, result.stderr
    assert result.stderr.startswith("lls: error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert store_snapshot() == before


def test_reset_history_keeps_every_entitlement(
    lls: Callable[..., Any], store_snapshot: Callable[[], list[str]]
) -> None:
    assert lls("licenses", "add", BUILTIN, "50", "--comment", "PO 1", "--agree").code == 0
    assert lls("licenses", "remove", BUILTIN, "8").code == 0
    assert lls("reset", "history", "--yes").code == 0
    assert lls("--json", "product", "show", BUILTIN).json()["concurrent_limit"] == 42
    (line,) = lls("--json", "history").json()
    assert (line["quantity"], line["remaining"], line["kind"]) == (42, 42, "carried-forward")
    assert line["comment"].startswith("balance carried forward") and line["administrator"]
    assert lls("--json", "events").json()[-1]["event_id"] == 240
    before = store_snapshot()
    again = lls("reset", "history", "--yes")
    assert again.code == 2 and "nothing to reset" in again.stderr and again.stderr.count("\n") == 1
    assert store_snapshot() == before


@pytest.mark.parametrize("target", ["history", "groups"])
def test_a_reset_with_nothing_to_reset_is_refused(
    lls: Callable[..., Any], store_snapshot: Callable[[], list[str]], target: str
) -> None:
    lls("product", "list")
    before = store_snapshot()
    result = lls("reset", target, "--yes")
    assert result.code == 2 and "nothing to reset" in result.stderr and result.stderr.count("\n") == 1
    assert store_snapshot() == before
    if target == "groups":
        assert lls("group", "add", "Lab", "--licenses", "2").code == 0
        assert lls("reset", "groups", "--yes").code == 0
        assert lls("--json", "group", "list").json() == []


def test_the_per_seat_change_gives_up_per_server_and_each_mode_shows_its_own_figures(
    lls: Callable[..., Any],
) -> None:
    assert lls("product", "add", "Exchange", "--limit", "25", "--agree").code == 0
    server = lls("product", "show", "Exchange").stdout
    assert "Concurrent connections" in server and "Per Seat" + " licenses" not in server
    assert "per_seat_licenses" not in lls("--json", "product", "show", "Exchange").json()
    assert lls("mode", "Exchange", "per-seat", "--agree").code == 0
    given_up = lls("--json", "history", "--product", "Exchange").json()[0]
    assert (given_up["quantity"], given_up["mode"], given_up["kind"]) == (-25, "per-server", "mode-change")
    assert "given up on the change to Per Seat" in given_up["comment"]
    seat = lls("product", "show", "Exchange").stdout
    assert "Per Seat licenses" in seat
    assert "Concurrent" not in seat and "Peak" not in seat
    shown = lls("--json", "product", "show", "Exchange").json()
    assert shown["per_seat_licenses"] == 0 and shown["licenses"] == 0
    assert not {"concurrent_limit", "per_server_licenses", "peak_in_use"} & set(shown)
    listed = {p["name"]: p for p in lls("--json", "product", "list").json()}
    assert "concurrent_limit" not in listed["Exchange"] and "per_seat_licenses" not in listed[BUILTIN]
    table = lls("product", "list").stdout.splitlines()
    exchange_row = next(row for row in table if row.startswith("Exchange"))
    assert exchange_row.split() == ["Exchange", "Per", "Seat", "0"]  # licenses; no Per Server peak


def test_a_group_change_that_leaves_members_without_licenses_is_refused(
    lls: Callable[..., Any], store_snapshot: Callable[[], list[str]]
) -> None:
    assert lls("product", "add", "Mail", "--mode", "per-seat", "--limit", "3", "--agree").code == 0
    assert lls("group", "add", "Lab", "--licenses", "2").code == 0
    assert lls("group", "members", "Lab", "add", "carol").code == 0
    assert lls("group", "add", "Empty", "--licenses", "0").code == 0
    before = store_snapshot()
    for args in (("group", "members", "Empty", "add", "dave"),):
        result = lls(*args)
        assert result.code == 2 and "would hold none" in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
    assert store_snapshot() == before
