"""The enterprise usage chart and compliance report on a real master with two real servers (processes on
loopback): samples recorded on the servers replicate, and the master answers the enterprise's line and
each server's; the report has the pool, the Per Server totals and each server's violations (a request
refused on a server logs one there); ``lls enterprise report`` gives the same document; bad input is
one line."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from applet.client.api import LicenseDenied
from applet.client.master import MasterClient, RemoteAnswerError
from applet.store import Store
from applet.store.records import UsageSample
from tests.service.test_enterprise_api import run_lls as lls

EAST, NT = "web-01.east.example", "NT4SRV"
# Two hours ago, on a whole hour: clear of the minutes the services record themselves during the test.
BASE = (int(time.time() // 60) - 120) // 60 * 60


def record(folder: Path, product: str, samples: dict[int, int]) -> None:
    """Samples (minutes after BASE: most in use) in a server's store, as its service records them."""
    with Store.open(folder) as store:
        product_id = store.products.get(product).product_id
        store.usage.record_samples([UsageSample(product_id, BASE + m, n, n, 0) for m, n in samples.items()])


@pytest.fixture
def master(start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]) -> MasterClient:
    """A master and two servers with SQL Server Per Server (EAST 5 licenses, NT 2) that replicated
    samples to it; a third request on NT was refused (over its licenses)."""
    master_dir = tmp_path / "master"
    lls(master_dir, "product", "add", "Exchange", "--mode", "per-seat")
    lls(master_dir, "licenses", "add", "Exchange", "2", "--agree")
    master = start_service(folder=master_dir)
    later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")
    for name, limit, samples in ((EAST, "5", {0: 3, 1: 5}), (NT, "2", {0: 2, 5: 1})):
        token = tmp_path / f"{name}.token"
        lls(master_dir, "enterprise", "enroll", name, "--token-file", str(token))
        folder = tmp_path / name
        lls(folder, "product", "add", "SQL Server", "--limit", limit, "--agree")
        record(folder, "SQL Server", samples)
        lls(
            folder, "replication", "set", "--enterprise-server", f"127.0.0.1:{master.endpoint.port}",
            "--token-file", str(token), "--start-at", later,
        )  # fmt: skip
        service = start_service(folder=folder)
        if name == NT:
            client = service.client()
            held = [client.request("SQL Server", user) for user in ("alice", "bob")]
            with pytest.raises(LicenseDenied):
                client.request("SQL Server", "carol")
            for lease in held:
                client.free(lease.handle)
            wait_for(lambda f=folder: any(e["event_id"] == 202 for e in lls(f, "--json", "events")))
        lls(folder, "replication", "now")
    client = MasterClient(f"127.0.0.1:{master.endpoint.port}", master.endpoint.admin_token_file)
    wait_for(lambda: {s["name"] for s in client.servers() if s["last_replication"]} >= {EAST, NT})
    return client


def test_usage_of_a_product_over_the_enterprise_and_per_server(master: MasterClient) -> None:
    with master:
        usage = master.product_usage("sql server", BASE, BASE + 10)
        assert usage["product"] == "SQL Server" and usage["bucket"] == 1 and usage["limit"] == 7
        offsets = [(minute - BASE, value) for minute, value in usage["total"]]
        assert offsets == [(0, 5), (1, 5), (5, 1)]
        lines = {s["server"]: s for s in usage["servers"]}
        assert {name: lines[name]["licenses"] for name in (EAST, NT)} == {EAST: 5, NT: 2}
        assert [(m - BASE, v) for m, v in lines[EAST]["points"]] == [(0, 3), (1, 5)]
        assert [(m - BASE, v) for m, v in lines[NT]["points"]] == [(0, 2), (5, 1)]

        alone = master.product_usage("SQL Server", BASE, BASE + 10, server=NT.lower())
        assert alone["server"] == NT and alone["limit"] == 2
        assert [(m - BASE, v) for m, v in alone["total"]] == [(0, 2), (5, 1)]

        # ISO 8601 times; ten-minute buckets; the default range is the last 24 hours.
        start = datetime.fromtimestamp(BASE * 60, UTC).strftime("%Y-%m-%dT%H:%M")
        wide = master.get(
            "/v1/enterprise/products/SQL%20Server/usage", {"since": start, "until": BASE + 59, "bucket": 10}
        )
        assert [(m - BASE, v) for m, v in wide["total"]] == [(0, 5)] and wide["since"] == BASE
        assert master.product_usage("SQL Server")["until"] - BASE >= 120

        # Bad input: one line each.
        for query, status, words in (
            ({"since": "yesterday"}, 400, "since must be an ISO 8601 time or whole minutes"),
            ({"since": BASE + 10, "until": BASE}, 400, "since must be a time before until"),
            ({"bucket": 0}, 400, "bucket must be"),
            ({"server": "nowhere"}, 404, "nowhere is not a server of this enterprise"),
        ):
            with pytest.raises(RemoteAnswerError) as refused:
                master.get("/v1/enterprise/products/SQL%20Server/usage", query)
            assert refused.value.status == status and words in str(refused.value)
            assert "\n" not in str(refused.value)
        with pytest.raises(RemoteAnswerError, match="Visio is not a product of this enterprise") as unknown:
            master.product_usage("Visio")
        assert unknown.value.status == 404


def test_compliance_report_of_the_enterprise_and_lls_enterprise_report(
    master: MasterClient, tmp_path: Path
) -> None:
    with master:
        report = master.compliance_report()
    assert report["servers"] == 3 and report["master"]
    products = {p["product"]: p for p in report["products"]}
    sql = products["SQL Server"]
    assert (sql["per_server"]["purchased"], sql["per_seat"]) == (7, None)
    servers = {s["server"]: s for s in sql["servers"]}
    assert {name: (s["purchased"], s["mode"]) for name, s in servers.items()} == {
        EAST: (5, "per-server"),
        NT: (2, "per-server"),
    }
    assert servers[NT]["violations"] >= 1 and servers[EAST]["violations"] == 0
    assert sql["per_server"]["violations"] == servers[NT]["violations"]
    assert products["Exchange"]["per_seat"]["purchased"] == 2

    # lls on the master: the same figures, and the HTML License Manager writes, with the breakdown.
    master_dir = tmp_path / "master"
    printed = lls(master_dir, "--json", "enterprise", "report")
    assert printed["products"] == report["products"] and printed["servers"] == 3
    page = tmp_path / "report.html"
    lls(master_dir, "enterprise", "report", "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "<h2>Per server</h2>" in text and f"<td>{NT}</td><td>SQL Server</td>" in text
    table = lls(master_dir, "enterprise", "report")
    assert NT in table and "Per Server" in table
