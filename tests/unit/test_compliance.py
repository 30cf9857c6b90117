"""The one meaning of compliance (issue 9 item 6): the peak since the last reset against what was bought."""

from applet.domain.compliance import Compliance, product_compliance
from applet.domain.products import LicenseMode

SERVER, SEAT = LicenseMode.PER_SERVER, LicenseMode.PER_SEAT


def test_per_server_judges_the_peak_against_the_connections_purchased() -> None:
    # (purchased, peak) -> state; the Per Seat figures of a Per Server product never count.
    for purchased, peak, state in (
        (5, 4, Compliance.COMPLIANT),
        (5, 5, Compliance.AT_LIMIT),
        (5, 7, Compliance.OVER_LIMIT),
        (0, 0, Compliance.COMPLIANT),
        (0, 1, Compliance.OVER_LIMIT),
    ):
        assert product_compliance(SERVER, purchased, peak, 0, 9, 9) is state, (purchased, peak)


def test_per_seat_judges_the_clients_recorded_and_ignores_per_server_figures() -> None:
    assert product_compliance(SEAT, 0, 99, 5, 2, 0) is Compliance.COMPLIANT
    assert product_compliance(SEAT, 0, 99, 5, 5, 0) is Compliance.AT_LIMIT
    assert product_compliance(SEAT, 50, 0, 5, 5, 1) is Compliance.OVER_LIMIT
    assert product_compliance(SEAT, 0, 0, 0, 0, 0) is Compliance.COMPLIANT


def test_the_labels_are_the_words_license_manager_shows() -> None:
    assert [state.label for state in Compliance] == ["Compliant", "At the limit", "Over the limit"]
