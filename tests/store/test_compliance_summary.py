"""Products View's rows judge compliance by the peak since the last reset, never by what is connected now."""

from applet.domain.products import LicenseMode
from applet.store import Store

ADMIN = "tester"


def test_the_summary_judges_the_peak_and_leaves_in_use_to_the_service(store: Store) -> None:
    store.products.add("Web", ADMIN, limit=5, agreed=True)
    store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=2, agreed=True)
    web = store.products.get("Web").product_id
    store.products.record_peaks({web: 7})
    rows = {row.name: row for row in store.usage.summaries()}
    assert (rows["Web"].per_server_reached, rows["Web"].compliance.value) == (7, "over-limit")
    assert rows["Web"].in_use is None and rows["Mail"].in_use is None
    # One product: the same row (License Manager's properties and `lls product show` ask this way).
    assert store.usage.summaries("Web") == [rows["Web"]]
    assert store.usage.summaries("Mail")[0].compliance.value == "compliant"
