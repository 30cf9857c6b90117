"""Replication with real processes on loopback: a master and three servers, each a real ``lls service``
with its own data folder and port; enrolment, enterprise-wide Per Seat, a master that goes away and
comes back (event 213, everything arrives once), a server killed with -9 while it replicates."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

Lls = Callable[..., Any]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_lls(folder: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "applet", "--data-dir", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def ok(folder: Path, *args: str) -> Any:
    completed = run_lls(folder, *args)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout) if "--json" in args else completed.stdout


def enroll(master: Path, server: str, tmp_path: Path, *extra: str) -> Path:
    token = tmp_path / f"{server}.token"
    ok(master, "enterprise", "enroll", server, "--token-file", str(token), *extra)
    assert token.stat().st_mode & 0o077 == 0  # owner-only
    return token


def set_up_server(folder: Path, master_port: int, token: Path) -> None:
    ok(folder, "product", "add", "Exchange", "--mode", "per-seat")
    ok(
        folder,
        "replication",
        "set",
        "--enterprise-server",
        f"127.0.0.1:{master_port}",
        "--token-file",
        str(token),
        "--start-at",
        # Twelve hours from now: the tests decide when to replicate (lls replication now), except
        # the retries after a failure, which the schedule makes.
        (datetime.now() + timedelta(hours=12)).strftime("%H:%M"),
    )


def use(service: Any, *users: str) -> None:
    client = service.client()
    for user in users:
        lease = client.request("Exchange", user)
        client.free(lease.handle)


def seat_users(folder: Path) -> int:
    connection = sqlite3.connect(folder / "licensing.sqlite3")
    try:
        return int(connection.execute("SELECT COUNT(*) FROM seat_clients").fetchone()[0])
    finally:
        connection.close()


def pool(master: Path, *extra: str) -> dict[str, int]:
    products = ok(master, "--json", "enterprise", "products", *extra)
    return next((p["per_seat"] for p in products if p["product"] == "Exchange"), {})


def test_three_servers_overlapping_users_take_one_enterprise_license_each(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    master_dir = tmp_path / "master"
    ok(master_dir, "product", "add", "Exchange", "--mode", "per-seat")
    ok(master_dir, "licenses", "add", "Exchange", "3", "--agree")  # bought once, for the enterprise
    master = start_service(folder=master_dir)
    users = {"S1": ("alice", "bob"), "S2": ("Alice", "carol"), "S3": ("bob", "dave", "erin")}
    servers = {}
    for name in users:
        folder = tmp_path / name
        set_up_server(folder, master.endpoint.port, enroll(master_dir, name, tmp_path))
        servers[name] = start_service("--replication-retry", "1", folder=folder)
    for name, service in servers.items():
        use(service, *users[name])
        count = len(users[name])
        wait_for(lambda folder=service.data_dir, n=count: seat_users(folder) == n)
        sent = ok(service.data_dir, "--json", "replication", "now")
        assert sent["server"] == name and sent["batches"][0]["rows"]["seat_uses"] == len(users[name])
        text = ok(service.data_dir, "replication", "now")
        assert "Nothing new to send" in text
    # alice/Alice, bob, carol take the enterprise's 3 licenses in arrival order; dave and erin do not.
    wait_for(lambda: pool(master_dir).get("purchased") == 3, timeout=15)
    assert pool(master_dir) == {"purchased": 3, "allocated": 3, "unlicensed": 2, "users": 5}
    clients = {c["user"].casefold(): c for c in ok(master_dir, "--json", "enterprise", "clients")}
    assert clients["alice"]["servers"] == ["S1", "S2"] and clients["alice"]["licensed"]
    assert clients["bob"]["servers"] == ["S1", "S3"]
    assert [clients[u]["licensed"] for u in ("carol", "dave", "erin")] == [True, False, False]
    # The master logs 201 for the pool (and 221: more users than licenses).
    wait_for(lambda: {201, 221} <= {e["event_id"] for e in master.client().events(product="Exchange")})
    listed = {s["name"]: s for s in ok(master_dir, "--json", "enterprise", "servers")}
    assert {n: listed[n]["state"] for n in users} == dict.fromkeys(users, "replicating")
    status = ok(servers["S1"].data_dir, "--json", "replication", "status")
    assert status["state"] == "ok" and status["acknowledged"] == listed["S1"]["last_seq"]
    # A revoked server is refused (401): event 213 on its side, one line in its log.
    ok(master_dir, "enterprise", "remove", "S3")
    use(servers["S3"], "frank")
    wait_for(lambda: seat_users(servers["S3"].data_dir) == 4)
    refused = run_lls(servers["S3"].data_dir, "replication", "now")
    assert refused.returncode == 1 and "401" in refused.stderr and "removed" in refused.stderr
    wait_for(lambda: 213 in {e["event_id"] for e in servers["S3"].client().events()})
    assert "replication failed" in servers["S3"].log.read_text()
    assert pool(master_dir)["users"] == 5  # frank did not arrive


def test_master_away_then_back_event_213_and_everything_arrives_once(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    master_dir, server_dir = tmp_path / "master", tmp_path / "S1"
    port = free_port()
    master = start_service("--port", str(port), folder=master_dir)
    set_up_server(server_dir, port, enroll(master_dir, "S1", tmp_path))
    server = start_service("--replication-retry", "1", folder=server_dir)
    use(server, "alice")
    wait_for(lambda: seat_users(server_dir) == 1)
    ok(server_dir, "replication", "now")
    assert master.stop() == 0
    use(server, "bob", "carol")
    wait_for(lambda: seat_users(server_dir) == 3)
    failed = run_lls(server_dir, "replication", "now")
    assert failed.returncode == 1 and "could not contact 127.0.0.1" in failed.stderr
    wait_for(lambda: 213 in {e["event_id"] for e in server.client().events()})
    status = ok(server_dir, "--json", "replication", "status")
    assert (
        status["state"] == "failing"
        and status["pending_seq"] == 2
        and "could not contact" in status["last_error"]
    )
    # Back on the same port: the scheduled retry (every second here, 15 minutes by default) catches up.
    start_service("--port", str(port), folder=master_dir)
    wait_for(lambda: pool(master_dir).get("users") == 3, timeout=20)
    wait_for(lambda: ok(server_dir, "--json", "replication", "status")["state"] == "ok", timeout=10)
    servers = {s["name"]: s for s in ok(master_dir, "--json", "enterprise", "servers")}
    assert servers["S1"]["last_seq"] == 2 and servers["S1"]["batches"] == 2
    assert pool(master_dir) == {"purchased": 0, "allocated": 0, "unlicensed": 3, "users": 3}


def test_server_killed_mid_replication_nothing_doubled(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    master_dir, server_dir = tmp_path / "master", tmp_path / "S1"
    master = start_service(folder=master_dir)
    set_up_server(server_dir, master.endpoint.port, enroll(master_dir, "S1", tmp_path))
    record_many_users(server_dir, 30_000)
    server = start_service("--replication-retry", "3600", folder=server_dir)
    now = subprocess.Popen(
        [sys.executable, "-m", "applet", "--data-dir", str(server_dir), "replication", "now"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill the server once the master has some of its batches, not all (8 batches of 4,000 users).
    wait_for(lambda: pool(master_dir).get("users", 0) > 0, timeout=60, interval=0.05)
    server.kill()
    now.wait(timeout=30)
    assert pool(master_dir)["users"] < 30_000
    start_service("--replication-retry", "3600", folder=server_dir)
    ok(server_dir, "replication", "now")
    assert pool(master_dir) == {"purchased": 0, "allocated": 0, "unlicensed": 30_000, "users": 30_000}
    servers = {s["name"]: s for s in ok(master_dir, "--json", "enterprise", "servers")}
    status = ok(server_dir, "--json", "replication", "status")
    assert servers["S1"]["last_seq"] == status["acknowledged"] == servers["S1"]["batches"]
    assert status["pending_seq"] is None


def record_many_users(folder: Path, count: int) -> None:
    """Per Seat use rows as a busy server's store holds them (written through the store's API)."""
    from applet.domain.counting import PerSeatAllocator
    from applet.store import Store
    from applet.store.records import SeatUsage

    with Store.open(folder) as store:
        product_id = store.products.get("Exchange").product_id
        allocator = PerSeatAllocator(0)
        when = "2026-01-01T09:00:00+00:00"
        store.clients.record_usage(
            [
                SeatUsage(product_id, f"user{n:06d}", when, allocator.use(f"user{n:06d}").licensed)
                for n in range(count)
            ]
        )


@pytest.mark.parametrize("typed", ["LIC_MASTER", "\\\\LICMASTER", "licmaster.example.com:9000", "10.1.2.3"])
def test_replication_set_accepts_what_administrators_type(typed: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(json.dumps({"server": "S1", "secret": "x" * 43}))
    shown = ok(
        tmp_path / "S1",
        "--json",
        "replication",
        "set",
        "--enterprise-server",
        typed,
        "--token-file",
        str(token),
        "--every-seconds",
        "300",
    )
    assert shown["enterprise_server"] == typed.lstrip("\\").removesuffix(":8765")
    assert shown["every_seconds"] == 300 and shown["enrolled_as"] == "S1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--enterprise-server", "bad host", "--every", "1"], "not a host name"),
        (["--enterprise-server", "host:99999", "--every", "1"], "port"),
        (["--enterprise-server", "host", "--every-seconds", "59"], "60 to"),
        (["--enterprise-server", "host", "--every", "1", "--token-file", "/nonexistent"], "cannot read"),
        (["--domain-controller", "--domain", "bad domain", "--every", "1"], "not a DNS domain: 'bad domain'"),
        (["--enterprise-server", "host", "--domain", "example.test", "--every", "1"], "--domain goes with"),
        (["--domain-controller", "--every-seconds", "abc"], "whole number of seconds, not 'abc'"),
        (["--domain-controller", "--every-seconds", "259201"], "60 to 259200 seconds, not 259201"),
    ],
)
def test_replication_set_refuses_bad_input_and_changes_nothing(
    args: list[str], message: str, lls: Lls, store_snapshot: Callable[[], list[str]]
) -> None:
    assert lls("replication", "show").code == 0
    before = store_snapshot()
    result = lls("replication", "set", *args)
    assert result.code == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert store_snapshot() == before


def test_a_server_cannot_replicate_to_itself(service: Any, lls: Lls, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(json.dumps({"server": "S1", "secret": "x" * 43}))
    result = lls(
        "replication",
        "set",
        "--enterprise-server",
        f"127.0.0.1:{service.endpoint.port}",
        "--token-file",
        str(token),
        "--every",
        "1",
    )
    assert result.code == 2 and "replication loop" in result.stderr


def test_replication_loop_a_to_b_to_a_is_refused(start_service: Callable[..., Any], tmp_path: Path) -> None:
    a_dir, b_dir = tmp_path / "A", tmp_path / "B"
    a_port, b_port = free_port(), free_port()
    # Start At twelve hours from now: neither replicates on its own during the test, so the order
    # below is the order of events.
    later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")
    token_b_at_a = enroll(a_dir, "B", tmp_path)  # B replicates to A
    token_a_at_b = tmp_path / "A-at-B.token"
    ok(b_dir, "enterprise", "enroll", "A", "--token-file", str(token_a_at_b))  # and A to B
    ok(
        b_dir,
        "replication",
        "set",
        "--enterprise-server",
        f"127.0.0.1:{a_port}",
        "--token-file",
        str(token_b_at_a),
        "--start-at",
        later,
    )
    ok(
        a_dir,
        "replication",
        "set",
        "--enterprise-server",
        f"127.0.0.1:{b_port}",
        "--token-file",
        str(token_a_at_b),
        "--start-at",
        later,
    )
    start_service("--port", str(a_port), "--replication-retry", "3600", folder=a_dir)
    start_service("--port", str(b_port), "--replication-retry", "3600", folder=b_dir)
    ok(b_dir, "replication", "now")  # B -> A first: A answers that it is B's master
    refused = run_lls(a_dir, "replication", "now")  # A -> B would close the loop
    assert refused.returncode == 1 and "replication loop" in refused.stderr


def test_bad_batches_are_refused_and_logged_nothing_stored(
    start_service: Callable[..., Any], tmp_path: Path
) -> None:
    master_dir = tmp_path / "master"
    master = start_service(folder=master_dir)
    secret = json.loads(enroll(master_dir, "S1", tmp_path).read_text())["secret"]
    enroll(master_dir, "S2", tmp_path)
    before = ok(master_dir, "--json", "enterprise", "servers")
    good = {"protocol": 1, "server": "S1", "seq": 1, "created": "2026-01-01T00:00:00+00:00"}
    use_row = {
        "product": "P",
        "user": "u",
        "first_used": good["created"],
        "last_used": good["created"],
        "usage_count": 1,
    }
    cases = [
        (good, "wrong-secret-" + "x" * 40, 401, "wrong secret"),
        ({**good, "server": "S9"}, secret, 401, "not enrolled"),
        (good, None, 401, "missing secret"),
        ({**good, "seq": 5}, secret, 409, "gap"),
        ({**good, "seat_uses": [{**use_row, "origin": "S2"}]}, secret, 409, "another server"),
        ({**good, "created": "2999-01-01T00:00:00+00:00"}, secret, 400, "future"),
        ({**good, "seat_uses": [{"origin": "S1"}]}, secret, 400, "seat_uses"),
    ]
    for document, token, status, message in cases:
        code, answer = master.http("POST", "/v1/replication/batches", document, token=token)
        assert (code, message in answer["error"]) == (status, True), answer
    code, answer = master.http("POST", "/v1/replication/batches", raw=b"{not json", token=secret)
    assert code == 400
    code, answer = master.http("POST", "/v1/replication/batches", raw=b"[" * 17_000_000, token=secret)
    assert code == 413
    assert ok(master_dir, "--json", "enterprise", "servers") != before  # refusals are noted ...
    listed = ok(master_dir, "--json", "enterprise", "servers")
    assert [s["last_seq"] for s in listed if s["name"] in ("S1", "S2")] == [0, 0]  # ... nothing stored
    assert "P" not in {p["product"] for p in ok(master_dir, "--json", "enterprise", "products")}
    log = master.log.read_text()
    assert "replication batch from S1 refused (401): wrong secret" in log
    assert "refused (409)" in log and "refused (400)" in log
    # The good batch is then stored as batch 1.
    code, answer = master.http(
        "POST", "/v1/replication/batches", {**good, "seat_uses": [{**use_row, "origin": "S1"}]}, token=secret
    )
    assert (code, answer["acknowledged"]) == (200, 1)


def test_nothing_of_replication_on_the_import_path_of_product_list_or_the_applet(data_dir: Path) -> None:
    heavy = ("applet.store.enterprise", "applet.store.outbox", "applet.service.replication", "psycopg")
    listed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "applet", "--data-dir", str(data_dir), "product", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    imported = {line.split("|")[-1].strip() for line in listed.stderr.splitlines() if "|" in line}
    assert "applet.store.products" in imported  # the measurement sees the store's modules
    assert not {name for name in imported if name.startswith(heavy)}
    applet = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, applet.ui.licensing_main, applet.ui.licensing.replication; "
            "print('\\n'.join(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert applet.returncode == 0, applet.stderr
    modules = set(applet.stdout.split())
    assert "applet.ui.licensing.replication" in modules
    assert not {name for name in modules if name.startswith(heavy)}


def test_two_masters_on_one_postgresql_one_killed_mid_batch_nothing_lost(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float], postgres_url: str
) -> None:
    database = ("--enterprise-database", postgres_url)
    first = start_service(*database, folder=tmp_path / "M1")
    second = start_service(*database, folder=tmp_path / "M2")
    # Enrolled once, in the shared database: either instance accepts the server.
    token = enroll(tmp_path / "M1", "S1", tmp_path, *database)
    server_dir = tmp_path / "S1"
    set_up_server(server_dir, first.endpoint.port, token)
    record_many_users(server_dir, 30_000)
    start_service("--replication-retry", "3600", folder=server_dir)
    now = subprocess.Popen(
        [sys.executable, "-m", "applet", "--data-dir", str(server_dir), "replication", "now"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: pool(tmp_path / "M2", *database).get("users", 0) > 0, timeout=60, interval=0.05)
    first.kill()  # the first instance dies with a batch in flight
    assert now.wait(timeout=60) == 1
    assert pool(tmp_path / "M2", *database)["users"] < 30_000
    ok(
        server_dir,
        "replication",
        "set",
        "--enterprise-server",
        f"127.0.0.1:{second.endpoint.port}",
        "--start-at",
        (datetime.now() + timedelta(hours=12)).strftime("%H:%M"),
    )
    ok(server_dir, "replication", "now")
    assert pool(tmp_path / "M2", *database) == {
        "purchased": 0,
        "allocated": 0,
        "unlicensed": 30_000,
        "users": 30_000,
    }
    servers = {s["name"]: s for s in ok(tmp_path / "M2", "--json", "enterprise", "servers", *database)}
    status = ok(server_dir, "--json", "replication", "status")
    assert servers["S1"]["last_seq"] == status["acknowledged"] == servers["S1"]["batches"]


def test_a_server_that_is_no_master_refuses_batches_and_stays_no_master(service: Any, data_dir: Path) -> None:
    batch = {"protocol": 1, "server": "S1", "seq": 1, "created": "2026-01-01T00:00:00+00:00"}
    code, answer = service.http("POST", "/v1/replication/batches", batch, token="x" * 43)
    assert code == 401 and "not enrolled" in answer["error"]
    assert not (data_dir / "enterprise.sqlite3").exists()


def own_numbers(folder: Path) -> dict[str, tuple[Any, ...]]:
    """What a server shows for itself: per product its mode, licenses, peak and Per Seat users."""
    users: dict[str, int] = {}
    for row in ok(folder, "--json", "clients"):
        users[row["product"]] = users.get(row["product"], 0) + 1
    return {
        p["name"]: (
            p["mode"],
            p.get("per_server_licenses", 0),
            p.get("per_seat_licenses", 0),
            p.get("peak_in_use", 0) if p["mode"] == "per-server" else None,
            users.get(p["name"], 0),
        )
        for p in ok(folder, "--json", "product", "list")
    }


def masters_numbers(master: Path, server: str) -> dict[str, tuple[Any, ...]]:
    """The master's numbers for one server (lls enterprise products --server)."""
    return {
        p["product"]: (
            p["mode"],
            p["per_server_licenses"],
            p["per_seat_licenses"],
            p["peak"] if p["mode"] == "per-server" else None,
            p["seat_users"],
        )
        for p in ok(master, "--json", "enterprise", "products", "--server", server)
    }


def test_a_servers_own_numbers_and_the_masters_agree_also_after_deletions(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    """KB824196: the original's counts on a server and on its master disagreed; here they agree."""
    master_dir = tmp_path / "master"
    master = start_service(folder=master_dir)
    users = {"S1": ("alice", "bob", "carol"), "S2": ("ALICE", "dave")}
    servers = {}
    for name in users:
        folder = tmp_path / name
        set_up_server(folder, master.endpoint.port, enroll(master_dir, name, tmp_path))
        ok(folder, "licenses", "add", "Exchange", "2", "--agree")
        ok(folder, "product", "add", "SQL", "--mode", "per-server", "--limit", "5", "--agree")
        servers[name] = start_service("--replication-retry", "1", folder=folder)
        use(servers[name], *users[name])
        count = len(users[name])
        wait_for(lambda folder=folder, n=count: seat_users(folder) == n)
        lease = servers[name].client().request("SQL", "admin1")  # a peak of 1 on SQL
        servers[name].client().free(lease.handle)
        wait_for(lambda folder=folder: own_numbers(folder)["SQL"][3] == 1)
        ok(folder, "replication", "now")

    def agree() -> None:
        for name in users:
            assert masters_numbers(master_dir, name) == own_numbers(tmp_path / name)

    agree()
    assert pool(master_dir) == {"purchased": 4, "allocated": 4, "unlicensed": 0, "users": 4}
    # alice deleted on S1: still S2's user, so still one enterprise user; then deleted on S2 too.
    ok(tmp_path / "S1", "clients", "delete", "alice")
    ok(tmp_path / "S1", "replication", "now")
    agree()
    assert pool(master_dir)["users"] == 4
    clients = {c["user"].casefold(): c for c in ok(master_dir, "--json", "enterprise", "clients")}
    assert clients["alice"]["servers"] == ["S2"]
    ok(tmp_path / "S2", "clients", "delete", "ALICE")
    sent = ok(tmp_path / "S2", "--json", "replication", "now")
    assert sent["batches"][0]["rows"]["deletions"] == 1
    assert "Nothing new to send" in ok(tmp_path / "S2", "replication", "now")  # the deletion went once
    agree()
    assert pool(master_dir) == {"purchased": 4, "allocated": 3, "unlicensed": 0, "users": 3}
    assert "alice" not in {c["user"].casefold() for c in ok(master_dir, "--json", "enterprise", "clients")}
    # The product revoked for one client (its usage deleted) reaches the master the same way.
    ok(tmp_path / "S1", "--json", "clients", "delete", "bob")
    ok(tmp_path / "S1", "replication", "now")
    agree()
    assert pool(master_dir)["users"] == 2
    # A product removed on a server: the master leaves it out of that server's numbers too.
    ok(tmp_path / "S2", "product", "remove", "SQL")
    ok(tmp_path / "S2", "replication", "now")
    agree()
    assert "SQL" not in masters_numbers(master_dir, "S2") and "SQL" in masters_numbers(master_dir, "S1")


def test_domain_masters_forward_to_the_enterprise_server_a_user_counted_once(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    """Two servers -> domain master D1 -> enterprise server E, and S3 -> D2 -> E: every row keeps its
    origin on the way up, so alice, seen on S1 (under D1) and S3 (under D2), is one user at E."""
    top = tmp_path / "E"
    ok(top, "product", "add", "Exchange", "--mode", "per-seat")
    ok(top, "licenses", "add", "Exchange", "4", "--agree")
    enterprise = start_service(folder=top)
    tree = {"D1": ("S1", "S2"), "D2": ("S3",)}
    users = {"S1": ("alice", "bob"), "S2": ("carol",), "S3": ("ALICE", "dave"), "D1": ("erin",)}
    services: dict[str, Any] = {}
    for domain, servers in tree.items():
        folder, port = tmp_path / domain, free_port()
        set_up_server(folder, enterprise.endpoint.port, enroll(top, domain, tmp_path))
        for name in servers:
            set_up_server(tmp_path / name, port, enroll(folder, name, tmp_path))
        services[domain] = start_service("--port", str(port), "--replication-retry", "1", folder=folder)
    for servers in tree.values():
        for name in servers:
            services[name] = start_service("--replication-retry", "1", folder=tmp_path / name)
    for name, names in users.items():
        use(services[name], *names)
        count = len(names)
        wait_for(lambda folder=tmp_path / name, n=count: seat_users(folder) == n)
    for name in ("S1", "S2", "S3", "D1", "D2"):
        ok(tmp_path / name, "replication", "now")
    # D1 sent its own user (erin) and forwarded S1's and S2's rows; the domain masters' pools count
    # their own subtree (no licenses there: all unlicensed).
    assert pool(tmp_path / "D1")["users"] == 4 and pool(tmp_path / "D2")["users"] == 2
    assert pool(top) == {"purchased": 4, "allocated": 4, "unlicensed": 1, "users": 5}
    clients = {c["user"].casefold(): c for c in ok(top, "--json", "enterprise", "clients")}
    assert clients["alice"]["servers"] == ["S1", "S3"]
    assert clients["erin"]["servers"] == ["D1"] and clients["carol"]["servers"] == ["S2"]
    listed = {s["name"]: s["state"] for s in ok(top, "--json", "enterprise", "servers")}
    assert listed["D1"] == listed["D2"] == "replicating"
    # The enterprise server's numbers for a server two levels down are that server's own.
    assert masters_numbers(top, "S1") == own_numbers(tmp_path / "S1")
    # Everything went once: nothing is left to send, and sending again stores nothing twice.
    assert "Nothing new to send" in ok(tmp_path / "D1", "replication", "now")
    # A deletion two levels down reaches the top: bob leaves, the waiting user takes his license.
    ok(tmp_path / "S1", "clients", "delete", "bob")
    ok(tmp_path / "S1", "replication", "now")
    ok(tmp_path / "D1", "replication", "now")
    assert pool(top) == {"purchased": 4, "allocated": 4, "unlicensed": 0, "users": 4}
    assert masters_numbers(top, "S1") == own_numbers(tmp_path / "S1")
    # An origin reaches E through one domain master only: S1 enrolled at E directly is refused there.
    direct = tmp_path / "S1-direct.token"
    ok(top, "enterprise", "enroll", "S1", "--token-file", str(direct))
    secret = json.loads(direct.read_text())["secret"]
    document = {
        "protocol": 2,
        "server": "S1",
        "seq": 1,
        "created": "2026-01-01T00:00:00+00:00",
        "seat_uses": [
            {
                "origin": "S1",
                "product": "Exchange",
                "user": "zed",
                "first_used": "2026-01-01T00:00:00+00:00",
                "last_used": "2026-01-01T00:00:00+00:00",
                "usage_count": 1,
            }
        ],
    }
    code, answer = enterprise.http("POST", "/v1/replication/batches", document, token=secret)
    assert code == 409 and "through another server" in answer["error"]
    assert pool(top)["users"] == 4


def test_masters_sharing_postgresql_each_count_their_own_users_once(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float], postgres_url: str
) -> None:
    database = ("--enterprise-database", postgres_url)
    first_dir, second_dir = tmp_path / "M1", tmp_path / "M2"
    for folder in (first_dir, second_dir):
        ok(folder, "product", "add", "Exchange", "--mode", "per-seat")
    ok(first_dir, "licenses", "add", "Exchange", "2", "--agree")
    first = start_service(*database, folder=first_dir)
    second = start_service(*database, folder=second_dir)
    token = enroll(first_dir, "S1", tmp_path, *database)
    set_up_server(tmp_path / "S1", second.endpoint.port, token)
    server = start_service("--replication-retry", "1", folder=tmp_path / "S1")
    # Each master is also a server: its own users count, entered by itself, once.
    use(first, "alice")
    use(second, "alice", "bob")
    use(server, "carol")
    wait_for(lambda: seat_users(tmp_path / "S1") == 1)
    ok(tmp_path / "S1", "replication", "now")
    wait_for(lambda: pool(first_dir, *database).get("users") == 3, timeout=30)
    assert pool(second_dir, *database) == {"purchased": 2, "allocated": 2, "unlicensed": 1, "users": 3}
    selves = [
        s for s in ok(first_dir, "--json", "enterprise", "servers", *database) if s["state"] == "this master"
    ]
    assert len(selves) == 2 and all(s["last_seq"] >= 1 for s in selves)
    clients = {c["user"]: c for c in ok(second_dir, "--json", "enterprise", "clients", *database)}
    assert len(clients["alice"]["servers"]) == 2 and clients["carol"]["servers"] == ["S1"]
    # Restarted, each instance goes on under its own name: nothing doubled.
    first.stop()
    start_service(*database, folder=first_dir)
    use(second, "dave")
    wait_for(lambda: pool(first_dir, *database).get("users") == 4, timeout=30)
    again = [
        s for s in ok(first_dir, "--json", "enterprise", "servers", *database) if s["state"] == "this master"
    ]
    assert sorted(s["name"] for s in again) == sorted(s["name"] for s in selves)


def test_a_license_group_defined_on_the_master_takes_its_licenses_enterprise_wide(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    master_dir = tmp_path / "master"
    ok(master_dir, "product", "add", "Exchange", "--mode", "per-seat")
    ok(master_dir, "licenses", "add", "Exchange", "3", "--agree")
    ok(master_dir, "group", "add", "Lab", "--licenses", "2")
    ok(master_dir, "group", "members", "Lab", "add", "carol", "dave")
    master = start_service(folder=master_dir)
    users = {"S1": ("alice", "carol"), "S2": ("dave", "erin", "frank")}
    for name, names in users.items():
        folder = tmp_path / name
        set_up_server(folder, master.endpoint.port, enroll(master_dir, name, tmp_path))
        service = start_service("--replication-retry", "1", folder=folder)
        use(service, *names)
        count = len(names)
        wait_for(lambda folder=folder, n=count: seat_users(folder) == n)
        ok(folder, "replication", "now")
    # As on one server: alice holds one license, Lab (carol and dave, on two servers) two; erin and
    # frank wait.
    wait_for(lambda: pool(master_dir).get("users") == 5, timeout=15)
    assert pool(master_dir) == {"purchased": 3, "allocated": 3, "unlicensed": 2, "users": 5}
    licensed = {c["user"] for c in ok(master_dir, "--json", "enterprise", "clients") if c["licensed"]}
    assert licensed == {"alice", "carol", "dave"}
    # The group loses a member on the master: dave holds a license of his own, which is not free.
    ok(master_dir, "group", "members", "Lab", "remove", "dave")
    wait_for(lambda: pool(master_dir).get("unlicensed") == 3, timeout=15)
    licensed = {c["user"] for c in ok(master_dir, "--json", "enterprise", "clients") if c["licensed"]}
    assert licensed == {"alice", "carol"}


def pending_upward(folder: Path) -> dict[str, Any] | None:
    """The upward batch a master has saved and not yet had acknowledged (read beside the service)."""
    connection = sqlite3.connect(folder / "licensing.sqlite3", timeout=5)
    try:
        row = connection.execute("SELECT value FROM settings WHERE key = 'replication.pending'").fetchone()
    finally:
        connection.close()
    return json.loads(row[0]) if row else None


def test_a_domain_master_killed_while_forwarding_nothing_lost_or_doubled(
    start_service: Callable[..., Any], tmp_path: Path, wait_for: Callable[..., float]
) -> None:
    top, domain, server = tmp_path / "E", tmp_path / "D1", tmp_path / "S1"
    enterprise = start_service(folder=top)
    port = free_port()
    set_up_server(domain, enterprise.endpoint.port, enroll(top, "D1", tmp_path))
    set_up_server(server, port, enroll(domain, "S1", tmp_path))
    record_many_users(server, 30_000)
    master = start_service("--port", str(port), "--replication-retry", "3600", folder=domain)
    ok(domain, "replication", "now")  # the domain master's own data first
    start_service("--replication-retry", "3600", folder=server)
    ok(server, "replication", "now")  # 30,000 users in batches of 4,000 to D1
    assert pool(domain)["users"] == 30_000
    forwarding = subprocess.Popen(
        [sys.executable, "-m", "applet", "--data-dir", str(domain), "replication", "now"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Killed with an upward batch of forwarded rows saved and on its way (stored at E or not yet).
    wait_for(lambda: bool((pending_upward(domain) or {}).get("seat_uses")), timeout=60, interval=0.05)
    master.kill()
    forwarding.wait(timeout=30)
    start_service("--port", str(port), "--replication-retry", "3600", folder=domain)
    ok(domain, "replication", "now")
    assert pool(top) == {"purchased": 0, "allocated": 0, "unlicensed": 30_000, "users": 30_000}
    listed = {s["name"]: s for s in ok(top, "--json", "enterprise", "servers")}
    status = ok(domain, "--json", "replication", "status")
    assert listed["D1"]["last_seq"] == status["acknowledged"] == listed["D1"]["batches"]
    assert status["pending_seq"] is None
    assert masters_numbers(top, "S1") == own_numbers(server)
