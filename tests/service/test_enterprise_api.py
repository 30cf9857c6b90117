"""License Manager's enterprise read API on a real master with two real servers (processes on loopback),
read through :class:`applet.client.master.MasterClient`; and what the client says about a master that
does not answer, speaks another API version, refuses the credential, or is no master."""

import http.server
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from applet.client.master import (
    MasterClient,
    NotAMaster,
    RemoteAnswerError,
    RemoteRefused,
    RemoteUnreachable,
    RemoteVersionMismatch,
    ServerAdminClient,
)
from applet.domain.errors import InvalidInput
from applet.domain.proof import service_proof
from applet.store.enterprise.dialect import connect
from applet.store.enterprise.schema import migrate
from applet.store.enterprise.views import domain_of, is_stale, servers


def run_lls(folder: Path, *args: str) -> Any:
    completed = subprocess.run(
        [sys.executable, "-m", "applet", "--data-dir", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout) if "--json" in args else completed.stdout


EAST = "web-01.east.example"
NT = "NT4SRV"


@pytest.fixture
def enterprise(start_service: Callable[..., Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A master (Per Seat Exchange bought for the enterprise) and two servers that replicated to it."""
    master_dir = tmp_path / "master"
    run_lls(master_dir, "product", "add", "Exchange", "--mode", "per-seat")
    run_lls(master_dir, "licenses", "add", "Exchange", "2", "--agree", "--comment", "enterprise")
    master = start_service(folder=master_dir)
    later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")
    services = {}
    for name, users in ((EAST, ("alice", "bob")), (NT, ("Alice", "carol", "dave"))):
        token = tmp_path / f"{name}.token"
        run_lls(master_dir, "enterprise", "enroll", name, "--token-file", str(token))
        folder = tmp_path / name
        run_lls(folder, "product", "add", "Exchange", "--mode", "per-seat")
        run_lls(folder, "product", "add", "SQL Server", "--limit", "5", "--agree")
        run_lls(folder, "licenses", "add", "SQL Server", "3", "--agree", "--comment", f"PO {name}")
        run_lls(
            folder, "replication", "set", "--enterprise-server", f"127.0.0.1:{master.endpoint.port}",
            "--token-file", str(token), "--start-at", later,
        )  # fmt: skip
        service = start_service(folder=folder)
        client = service.client()
        for user in users:
            client.free(client.request("Exchange", user).handle)
        services[name] = service
    yield {"master": master, "master_dir": master_dir, "servers": services, "tmp": tmp_path}


def replicate(enterprise: dict[str, Any], wait_for: Callable[..., float]) -> MasterClient:
    for name, service in enterprise["servers"].items():
        expected = 2 if name == EAST else 3
        # The service records Per Seat uses within a second; replicate once they are in its store.
        wait_for(lambda s=service, n=expected: len(run_lls(s.data_dir, "--json", "clients")) == n)
        run_lls(service.data_dir, "replication", "now")
    master = enterprise["master"]
    client = MasterClient(f"127.0.0.1:{master.endpoint.port}", master.endpoint.admin_token_file)
    # The master's own purchases enter its enterprise database every two seconds.
    wait_for(lambda: any(r["server"] not in (EAST, NT) for r in client.purchases()["rows"]), timeout=10)
    return client


def test_the_four_enterprise_views_read_through_the_client(
    enterprise: dict[str, Any], wait_for: Callable[..., float]
) -> None:
    with replicate(enterprise, wait_for) as client:
        summary = client.summary()
        assert summary["api_version"] == 1 and summary["servers"] == 3

        listed = client.servers()
        assert listed[0]["is_master"] and listed[0]["state"] == "master"
        by_name = {row["name"]: row for row in listed}
        assert by_name[EAST]["domain"] == "east.example" and by_name[NT]["domain"] == ""
        assert {by_name[n]["state"] for n in (EAST, NT)} == {"replicating"}
        assert not by_name[EAST]["stale"] and by_name[EAST]["last_replication"]
        modes = {row["product"]: row["mode"] for row in client.server_products(EAST)}
        assert by_name[EAST]["products"] == len(modes)  # with the default product a service creates
        assert modes["Exchange"] == "per-seat" and modes["SQL Server"] == "per-server"
        sql = next(row for row in client.server_products(NT) if row["product"] == "SQL Server")
        assert sql["per_server_licenses"] == 8  # 5 at creation and 3 bought

        # Purchase History: every server's ledger with its server; filter, count, sort by server.
        page = client.purchases(count=True)
        assert page["total"] == len(page["rows"]) >= 5
        assert {row["server"] for row in page["rows"]} >= {EAST, NT}
        east = client.purchases(server=EAST, count=True)
        assert east["total"] == len(east["rows"]) and {r["server"] for r in east["rows"]} == {EAST}
        found = client.purchases(text="po nt4", count=True)
        assert found["total"] == 1 and found["rows"][0]["server"] == NT
        assert found["rows"][0]["quantity"] == 3
        enterprise_seats = client.purchases(text="enterprise")["rows"]
        assert [(r["product"], r["mode"], r["quantity"]) for r in enterprise_seats] == [
            ("Exchange", "per-seat", 2)
        ]
        by_server = [
            r["server"].casefold() for r in client.purchases(sort="server", descending=False)["rows"]
        ]
        assert by_server == sorted(by_server)
        assert [len(client.purchases(offset=o, limit=2)["rows"]) for o in (0, 2)] == [2, 2]

        # Products View: enterprise totals with one entry per server.
        products = {row["product"]: row for row in client.products()}
        assert products["SQL Server"]["per_server_purchased"] == 16
        assert {s["server"] for s in products["SQL Server"]["servers"]} == {EAST, NT}
        exchange = products["Exchange"]
        assert (exchange["per_seat_purchased"], exchange["per_seat_users"]) == (2, 4)
        assert exchange["per_seat_unlicensed"] == 2

        # Clients (Per Seat): one row per user across the enterprise, with the servers used.
        clients = client.clients(count=True)
        assert clients["total"] == 4
        rows = {row["user"].casefold(): row for row in clients["rows"]}
        assert rows["alice"]["servers"] == sorted([EAST, NT]) and rows["dave"]["servers"] == [NT]
        assert [row["user"].casefold() for row in clients["rows"]] == ["alice", "bob", "carol", "dave"]
        assert sum(row["licensed_usage"] for row in clients["rows"]) == 2
        assert [r["user"] for r in client.clients(text="CAR")["rows"]] == ["carol"]
        newest = client.clients(sort="servers", descending=True, limit=1)["rows"]
        assert newest[0]["user"].casefold() == "alice"

        # Bad input: one clear answer each.
        with pytest.raises(RemoteAnswerError, match="not a server of this enterprise") as unknown:
            client.server_products("nosuch")
        assert unknown.value.status == 404
        with pytest.raises(RemoteAnswerError, match="cannot sort purchases"):
            client.purchases(sort="colour")
        with pytest.raises(RemoteAnswerError, match="limit must be between"):
            client.clients(limit=0)
        with pytest.raises(InvalidInput):
            client.server_products("a/b")


def test_a_wrong_token_a_client_token_and_a_revoked_one_are_refused_before_any_is_sent(
    start_service: Callable[..., Any], tmp_path: Path
) -> None:
    master = start_service(folder=tmp_path / "master")
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token\n")
    for token_file in (wrong, master.endpoint.client_token_file):
        with pytest.raises(RemoteRefused, match="did not accept the token"):
            MasterClient(f"127.0.0.1:{master.endpoint.port}", token_file).summary()
    with pytest.raises(RemoteUnreachable, match="cannot read the administrator token file"):
        MasterClient(f"127.0.0.1:{master.endpoint.port}", tmp_path / "missing.token")
    # A service with no enrolled server answers, but it is no master.
    with (
        MasterClient(f"127.0.0.1:{master.endpoint.port}", master.endpoint.admin_token_file) as client,
        pytest.raises(NotAMaster, match="is not a master"),
    ):
        client.servers()


def test_a_master_that_does_not_answer(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: refused
        token = tmp_path / "admin.token"
        token.write_text("secret")
        with pytest.raises(RemoteUnreachable, match=f"the master 127.0.0.1:{port} does not answer"):
            MasterClient(f"127.0.0.1:{port}", token, timeout=2).summary()


class _OtherVersion(http.server.BaseHTTPRequestHandler):
    """A listener that proves it holds the token (so it is the master) but speaks API version 2."""

    token = "shared-secret"

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        nonce = query.get("nonce", [""])[0]
        port = self.server.server_address[1]
        proof = service_proof(self.token, nonce, int(port))
        body = json.dumps({"admin_proof": proof, "client_proof": proof, "api_version": 2}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_a_master_of_another_api_version_is_refused_with_one_message(tmp_path: Path) -> None:
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OtherVersion)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        token = tmp_path / "admin.token"
        token.write_text(_OtherVersion.token)
        port = listener.server_address[1]
        with pytest.raises(RemoteVersionMismatch) as refused:
            MasterClient(f"127.0.0.1:{port}", token).summary()
        assert str(refused.value) == (
            f"the master at http://127.0.0.1:{port} speaks version 2 of the API and this program "
            "speaks version 1: update the older of the two"
        )
    finally:
        listener.shutdown()
        listener.server_close()
        thread.join()


def test_domains_and_staleness(tmp_path: Path) -> None:
    assert [domain_of(n) for n in ("web-01.east.example", "NT4SRV", "10.0.0.7", "a.b.")] == [
        "east.example",
        "",
        "",
        "b",
    ]
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert is_stale(None, now) and is_stale("garbage", now)
    assert not is_stale("2026-12-01T00:00:00+00:00", now)
    assert is_stale("2026-11-30T10:00:00+00:00", now)
    connection = connect(tmp_path / "enterprise.sqlite3")
    try:
        migrate(connection)
        connection.execute(
            "INSERT INTO ent_servers (server_key, name, secret_sha256, enrolled, last_replication) "
            "VALUES ('old', 'OLD', '', '2026-11-01', '2026-11-01T00:00:00+00:00'), "
            "('new', 'NEW', '', '2026-11-01', '2026-12-01T11:00:00+00:00'), ('never', 'NEVER', '', 'x', NULL)"
        )
        connection.execute(
            "INSERT INTO ent_servers (server_key, name, secret_sha256, enrolled, revoked) "
            "VALUES ('gone', 'GONE', '', 'x', '2026-11-02')"
        )
        states = {row["name"]: (row["state"], row["stale"]) for row in servers(connection, now)}
        assert states == {
            "GONE": ("revoked", False),
            "NEVER": ("never replicated", True),
            "NEW": ("replicating", False),
            "OLD": ("replicating", True),
        }
    finally:
        connection.close()


def test_server_admin_client_writes_at_the_revision_it_read_and_is_refused_after_another_change(
    start_service: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "server"
    run_lls(folder, "product", "add", "SQL Server", "--limit", "5", "--agree")
    server = start_service(folder=folder)
    with ServerAdminClient(f"127.0.0.1:{server.endpoint.port}", server.endpoint.admin_token_file) as admin:
        seen = admin.product("SQL Server")
        assert (seen["mode"], seen["per_server_licenses"]) == ("per-server", 5)
        admin.add_licenses("SQL Server", 2, "remote-admin", "PO 1", True, seen["revision"])
        after = admin.product("SQL Server")
        assert after["per_server_licenses"] == 7 and after["revision"] > seen["revision"]
        # The second administrator still holds the old revision: refused, nothing written.
        with pytest.raises(RemoteAnswerError, match="changed by someone else") as stale:
            admin.remove_licenses("SQL Server", 1, "second-admin", "", seen["revision"])
        assert stale.value.status == 409
        with pytest.raises(RemoteAnswerError, match="expected_revision must be a whole number"):
            admin.call(
                "POST", "/v1/admin/products/SQL%20Server/mode", {"mode": "per-seat", "expected_revision": "x"}
            )
        admin.change_mode("SQL Server", "per-seat", "remote-admin", True, after["revision"])
        flipped = admin.product("SQL Server")
        with pytest.raises(RemoteAnswerError, match="one-way") as reverse:
            admin.change_mode("SQL Server", "per-server", "remote-admin", True, flipped["revision"])
        assert reverse.value.status == 409
        with pytest.raises(RemoteAnswerError) as unknown:
            admin.product("Nothing")
        assert unknown.value.status == 404
    lines = [(h["administrator"], h["quantity"]) for h in run_lls(folder, "--json", "history")]
    assert ("remote-admin", 2) in lines
    assert "second-admin" not in {administrator for administrator, _quantity in lines}


def test_an_enterprise_purchase_on_the_master_counts_in_the_enterprise_when_the_answer_arrives(
    enterprise: dict[str, Any], wait_for: Callable[..., float]
) -> None:
    """New License, Per Seat, connected to a master: recorded in the master's own store and in its
    enterprise views before the master answers (no wait for its periodic ingestion)."""
    master_dir = enterprise["master_dir"]
    with replicate(enterprise, wait_for) as client:
        before = {row["product"]: row["per_seat_purchased"] for row in client.products()}
        assert before["Exchange"] == 2
        # A product the master has: a Per Seat purchase in its own ledger.
        client.add_enterprise_licenses("Exchange", 7, "ent-admin", "PO ent 1", agree=True)
        rows = client.purchases(text="po ent 1")["rows"]
        assert [(r["server"], r["product"], r["quantity"], r["mode"]) for r in rows] == [
            (client.summary()["master"], "Exchange", 7, "per-seat")
        ]
        assert {r["product"]: r["per_seat_purchased"] for r in client.products()}["Exchange"] == 9
        # A product only the servers have: registered on the master with the purchase, in one change.
        assert "SQL Server" not in {p["name"] for p in run_lls(master_dir, "--json", "product", "list")}
        client.add_enterprise_licenses("SQL Server", 4, "ent-admin", "PO ent 2", agree=True)
        assert {r["product"]: r["per_seat_purchased"] for r in client.products()}["SQL Server"] == 4
        # Without the agreement (the rule of one server): refused, nothing written, also no product.
        with pytest.raises(RemoteAnswerError, match="agree"):
            client.add_enterprise_licenses("Exchange", 1, "ent-admin", "PO ent 3", agree=False)
        with pytest.raises(RemoteAnswerError, match="agree"):
            client.add_enterprise_licenses("Visio", 1, "ent-admin", "PO ent 4", agree=False)
    products = {p["name"]: p for p in run_lls(master_dir, "--json", "product", "list")}
    assert "Visio" not in products and products["SQL Server"]["mode"] == "per-seat"
    lines = [
        (h["product"], h["quantity"], h["mode"], h["comment"])
        for h in run_lls(master_dir, "--json", "history")
    ]
    assert ("Exchange", 7, "per-seat", "PO ent 1") in lines and (
        "SQL Server",
        4,
        "per-seat",
        "PO ent 2",
    ) in lines
    assert not [line for line in lines if line[3] in ("PO ent 3", "PO ent 4")]
    counted = {
        row["product"]: row["per_seat"] for row in run_lls(master_dir, "--json", "enterprise", "products")
    }
    assert counted["Exchange"]["purchased"] == 9 and counted["SQL Server"]["purchased"] == 4
