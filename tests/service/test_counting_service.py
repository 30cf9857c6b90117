"""Counting through the real service: the peak after a usage reset, and violations that repeat by a
timer (event 221 every violation interval while over the licenses, never once back within them)."""

from collections.abc import Callable
from typing import Any

from applet.store import Store


def _lease(service: Any, product: str, user: str, admin: bool = False) -> str:
    status, lease = service.http(
        "POST",
        "/v1/licenses",
        {"product": product, "user": user, "client": user, "admin": admin, "lease_seconds": 600},
    )
    assert status == 200 and lease["granted"] is True, lease
    return str(lease["handle"])


def test_a_usage_reset_while_leases_are_held_sets_the_peak_to_current_use(
    start_service: Callable[..., Any], lls: Callable[..., Any], wait_for: Callable[..., float], data_dir: Any
) -> None:
    assert lls("product", "add", "SQL Server", "--limit", "5", "--agree").code == 0
    service = start_service()
    for user in ("ann", "ben", "cat"):
        _lease(service, "SQL Server", user)

    def stored_peak() -> int:
        with Store.open(data_dir) as store:
            return store.products.get("SQL Server").peak_in_use

    wait_for(lambda: stored_peak() == 3)
    assert lls("reset", "usage", "--yes").code == 0
    # The running service applies the reset: the peak is the three clients still connected, in the
    # service and in the store (what `lls product show` and License Manager read), never 0.
    wait_for(lambda: service.http("GET", "/v1/products/SQL%20Server")[1]["peak"] == 3 and stored_peak() == 3)
    product = lls("--json", "product", "show", "SQL Server").json()
    assert product["peak_in_use"] == 3


def test_a_product_held_over_its_licenses_repeats_221_by_timer(
    start_service: Callable[..., Any], lls: Callable[..., Any], wait_for: Callable[..., float]
) -> None:
    assert lls("product", "add", "SQL Server", "--limit", "1", "--agree").code == 0
    assert lls("product", "add", "Clock", "--limit", "1", "--agree").code == 0
    service = start_service("--violation-interval", "3")

    def over_licensed(product: str) -> list[dict[str, Any]]:
        status, rows = service.http("GET", f"/v1/events?product={product.replace(' ', '%20')}&limit=100")
        assert status == 200
        return [row for row in rows if row["event_id"] == 221]

    _lease(service, "SQL Server", "ann")
    admin = _lease(service, "SQL Server", "root", admin=True)  # two clients, one license: over
    for user in ("ann", "root"):  # a second product over its licenses all along: the test's clock
        _lease(service, "Clock", user, admin=user == "root")
    # Held over the limit with no further request: 221 comes back every 3 s (three within ~10 s).
    wait_for(lambda: len(over_licensed("SQL Server")) >= 3, timeout=12.0)
    assert service.http("DELETE", f"/v1/licenses/{admin}")[0] == 200  # back within its licenses
    wait_for(lambda: service.http("GET", "/v1/products/SQL%20Server")[1]["in_use"] == 1)
    ticks = len(over_licensed("Clock"))
    # The second clock repeat from now was logged after the free (repeats are 3 s apart, a batch is
    # written within 1 s), so every 221 logged before the free is in the store by then.
    wait_for(lambda: len(over_licensed("Clock")) >= ticks + 2, timeout=12.0)
    logged = len(over_licensed("SQL Server"))
    # One more interval: the clock product repeats, SQL Server (within its licenses) does not.
    wait_for(lambda: len(over_licensed("Clock")) >= ticks + 3, timeout=8.0)
    assert len(over_licensed("SQL Server")) == logged
    messages = {row["message"] for row in over_licensed("SQL Server")}
    assert messages == {"Product SQL Server needs 2 licenses but only 1 were purchased."}
