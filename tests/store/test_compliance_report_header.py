"""The compliance report's header names its figures (issue 14 item 10: it read "vm · 2 / 4")."""

from applet.domain.products import LicenseMode
from applet.store.reports import ComplianceLine, compliance_html, compliance_labels


def test_the_header_says_which_server_and_how_many_products_are_over_the_limit() -> None:
    lines = [
        ComplianceLine("Mail Server", LicenseMode.PER_SEAT, 2, 3, 1, 1, "over-limit"),
        ComplianceLine("Web Server", LicenseMode.PER_SERVER, 5, 4, 0, 0, "compliant"),
        ComplianceLine("SQL Server", LicenseMode.PER_SERVER, 5, 5, 0, 0, "at-limit"),
    ]
    page = compliance_html(lines, compliance_labels(), "vm", generated="2026-12-01 02:30:00")
    header = next(line for line in page.splitlines() if line.startswith("<p>"))
    assert header == (
        "<p>Generated 2026-12-01 02:30:00 &middot; Server: vm &middot; 1 of 3 products over the limit</p>"
    )
    assert " / " not in header


def test_the_server_name_is_escaped_in_the_header() -> None:
    page = compliance_html([], compliance_labels(), "<vm&co>", generated="now")
    assert "Server: &lt;vm&amp;co&gt;" in page and "0 of 0 products over the limit" in page
