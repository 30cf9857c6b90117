"""``GET /metrics`` of the real service, read by the official Prometheus text parser."""

import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from applet.domain.products import LicenseMode
from applet.service.metrics import LatencyHistogram, may_read
from applet.service.tokens import Role
from applet.store import Store
from applet.store.outbox import REMOTE


def scrape(service: Any, token: str | None = None, timeout: float = 5.0) -> tuple[int, str, str]:
    """(status, content type, body) of ``GET /metrics``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(service.url + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        error.close()
        return error.code, error.headers["Content-Type"], body


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels), as the official parser reads the text."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed: dict[Any, float], name: str, **labels: str) -> float:
    return parsed[(name, tuple(sorted(labels.items())))]


def _products(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", limit=2, agreed=True)
        store.products.add('Mail "eu"', "admin", mode=LicenseMode.PER_SEAT)
        store.ledger.add('Mail "eu"', 1, "admin", True, "PO 1")


def test_metrics_counts_licenses_denials_and_latency(start_service: Any, data_dir: Path) -> None:
    _products(data_dir)
    service = start_service("--heartbeat", "30")
    client = service.client()
    client.request("SQL Server", "alice", client="ws-1")
    client.request("SQL Server", "bob", client="ws-2")
    assert (
        service.http("POST", "/v1/licenses", {"product": "SQL Server", "user": "carol"})[1]["granted"]
        is False
    )
    client.request('Mail "eu"', "dave")
    client.request('Mail "eu"', "erin")  # beyond the one Per Seat license: unlicensed, not refused
    for _ in range(3):
        assert service.http("GET", "/v1/health", token=None)[0] == 200

    status, content_type, text = scrape(service)  # loopback, no token
    assert status == 200, text
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["lls_license_denials"].type == "counter"
    assert families["lls_http_request_duration_seconds"].type == "histogram"
    parsed = samples(text)
    sql = {"product": "SQL Server", "mode": "per-server"}
    mail = {"product": 'Mail "eu"', "mode": "per-seat"}
    assert value(parsed, "lls_licenses_purchased", **sql) == 2
    assert value(parsed, "lls_licenses_in_use", **sql) == 2
    assert value(parsed, "lls_licenses_peak", **sql) == 2
    assert value(parsed, "lls_licenses_unlicensed", **sql) == 0
    assert value(parsed, "lls_license_requests_total", **sql) == 3
    assert value(parsed, "lls_license_denials_total", **sql) == 1
    assert value(parsed, "lls_licenses_purchased", **mail) == 1
    assert value(parsed, "lls_licenses_unlicensed", **mail) == 1
    assert value(parsed, "lls_license_denials_total", **mail) == 0
    assert value(parsed, "lls_leases") == 4
    assert value(parsed, "lls_lease_expiries_total") == 0
    assert value(parsed, "lls_store_write_failures_total") == 0
    health = {"route": "/v1/health"}
    assert value(parsed, "lls_http_request_duration_seconds_count", **health) == 3
    assert value(parsed, "lls_http_request_duration_seconds_bucket", **health, le="+Inf") == 3
    assert 0 < value(parsed, "lls_http_request_duration_seconds_sum", **health) < 3
    requests = {"route": "/v1/licenses"}
    assert value(parsed, "lls_http_request_duration_seconds_count", **requests) == 5
    # This server never replicated: no age rather than a made-up one.
    assert not any(name == "lls_replication_age_seconds" for name, _ in parsed)


def test_metrics_count_lease_expiries(
    start_service: Any, data_dir: Path, wait_for: Callable[..., float]
) -> None:
    _products(data_dir)
    service = start_service("--heartbeat", "1", "--expiry", "2")
    service.client().request("SQL Server", "alice", client="ws-1")  # expires 2 s after its last heartbeat

    def expired() -> bool:
        return value(samples(scrape(service)[2]), "lls_lease_expiries_total") == 1

    wait_for(expired, timeout=15)
    parsed = samples(scrape(service)[2])
    assert value(parsed, "lls_licenses_in_use", product="SQL Server", mode="per-server") == 0
    assert value(parsed, "lls_leases") == 0


def test_metrics_answer_while_the_store_is_locked(start_service: Any, data_dir: Path) -> None:
    _products(data_dir)
    service = start_service("--heartbeat", "30")
    client = service.client()
    blocker = sqlite3.connect(data_dir / "licensing.sqlite3", timeout=0, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        client.request("SQL Server", "alice", client="ws-1")  # counted in memory; its usage waits
        started = time.monotonic()
        status, _, text = scrape(service, timeout=5)
        elapsed = time.monotonic() - started
        assert status == 200
        assert value(samples(text), "lls_licenses_in_use", product="SQL Server", mode="per-server") == 1
        assert elapsed < 2.0, f"the scrape waited {elapsed:.2f} s on the locked store"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_metrics_need_no_token_on_loopback_and_take_the_admin_token(start_service: Any) -> None:
    service = start_service()
    assert scrape(service)[0] == 200
    assert scrape(service, token=service.token(admin=True))[0] == 200
    assert scrape(service, token="wrong")[0] == 200  # loopback: the token is not looked at


@pytest.mark.parametrize(
    ("remote", "enabled", "role", "allowed"),
    [
        ("127.0.0.1", False, None, True),
        ("::1", False, None, True),
        ("192.0.2.7", False, None, False),
        ("192.0.2.7", False, Role.CLIENT, False),
        ("192.0.2.7", False, Role.ADMIN, True),
        ("192.0.2.7", True, None, True),
        (None, False, None, False),
    ],
)
def test_who_may_read_metrics(remote: str | None, enabled: bool, role: Role | None, allowed: bool) -> None:
    assert may_read(remote, enabled, role) is allowed


def test_latency_histogram_buckets_are_cumulative() -> None:
    histogram = LatencyHistogram((0.01, 0.1))
    for seconds in (0.005, 0.01, 0.05, 0.5):
        histogram.observe("/v1/x", seconds)
    text = "# TYPE t histogram\n" + "\n".join(histogram.lines("t")) + "\n"
    parsed = samples(text)
    assert value(parsed, "t_bucket", route="/v1/x", le="0.01") == 2
    assert value(parsed, "t_bucket", route="/v1/x", le="0.1") == 3
    assert value(parsed, "t_bucket", route="/v1/x", le="+Inf") == 4
    assert value(parsed, "t_count", route="/v1/x") == 4
    assert value(parsed, "t_sum", route="/v1/x") == pytest.approx(0.565)


def test_metrics_show_the_age_of_the_last_replication(
    start_service: Any, data_dir: Path, wait_for: Callable[..., float]
) -> None:
    with Store.open(data_dir) as store:  # as acknowledge() records a batch the master took
        ninety_seconds_ago = datetime.now(UTC) - timedelta(seconds=90)
        store.set_setting(REMOTE + "last_success", ninety_seconds_ago.isoformat(timespec="seconds"))
    service = start_service()
    ages: list[float] = []

    def shown() -> bool:
        parsed = samples(scrape(service)[2])
        ages.extend(v for (name, _), v in parsed.items() if name == "lls_replication_age_seconds")
        return bool(ages)

    wait_for(shown, timeout=10)
    assert 89 <= ages[0] < 120
