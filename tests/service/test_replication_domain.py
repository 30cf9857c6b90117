"""Domain Controller mode with real processes: ``lls replication set --domain-controller --domain D``,
the master found with DNS SRV ``_licensing._tcp.D`` from a DNS responder of the test (the service and
``lls`` are pointed at it with ``LLS_DNS_SERVERS``), or named in configuration; no record or a malformed
answer is event 213 with the reason, and the retry finds the master once the record is there."""

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from applet.store.master_lookup import DNS_SERVERS_ENV
from tests.service.dns_responder import DnsResponder
from tests.service.test_replication import enroll, free_port, ok, pool, run_lls, seat_users, use

Lls = Callable[..., Any]
DOMAIN = "example.test"
NAME = f"_licensing._tcp.{DOMAIN}"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsResponder]:
    with DnsResponder() as responder:
        # Inherited by every lls and service process the test starts.
        monkeypatch.setenv(DNS_SERVERS_ENV, responder.address)
        yield responder


def later() -> str:
    # Twelve hours from now: the test decides when to replicate, except the retries after a failure.
    return (datetime.now() + timedelta(hours=12)).strftime("%H:%M")


def set_domain_controller(folder: Path, token: Path, domain: str = DOMAIN) -> Any:
    ok(folder, "product", "add", "Exchange", "--mode", "per-seat")
    return ok(
        folder,
        "--json",
        "replication",
        "set",
        "--domain-controller",
        "--domain",
        domain,
        "--token-file",
        str(token),
        "--start-at",
        later(),
    )


def events(service: Any) -> list[dict[str, Any]]:
    return list(service.client().events())


def test_the_srv_record_names_the_master_and_replication_goes_there(
    start_service: Callable[..., Any], tmp_path: Path, dns: DnsResponder, wait_for: Callable[..., float]
) -> None:
    master_dir, server_dir = tmp_path / "master", tmp_path / "S1"
    master = start_service(folder=master_dir)
    dead = free_port()
    # Priority 0 is nobody (a closed port): the service goes on to priority 10, the master.
    dns.zones[NAME] = [(10, 0, master.endpoint.port, "localhost"), (0, 0, dead, "localhost")]
    shown = set_domain_controller(server_dir, enroll(master_dir, "S1", tmp_path))
    assert shown["master"] == "domain-controller" and shown["domain"] == DOMAIN
    assert shown["resolved"] == {
        "master": f"localhost:{dead}",
        "found_by": f"DNS SRV {NAME}",
        "addresses": [f"127.0.0.1:{dead}"],
        "error": None,
    }
    text = ok(server_dir, "replication", "show")
    assert f"Domain Controller ({DOMAIN})" in text
    server = start_service("--replication-retry", "3600", folder=server_dir)
    use(server, "alice", "bob")
    wait_for(lambda: seat_users(server_dir) == 2)
    replicated = ok(server_dir, "replication", "now")
    assert f"Replicated to localhost:{master.endpoint.port} (from DNS SRV {NAME}) as S1" in replicated
    assert pool(master_dir)["users"] == 2
    assert ("udp", NAME) in dns.queries


def test_no_record_is_event_213_with_the_reason_and_the_retry_finds_the_master_later(
    start_service: Callable[..., Any], tmp_path: Path, dns: DnsResponder, wait_for: Callable[..., float]
) -> None:
    master_dir, server_dir = tmp_path / "master", tmp_path / "S1"
    master = start_service(folder=master_dir)
    shown = set_domain_controller(server_dir, enroll(master_dir, "S1", tmp_path))
    reason = f"no DNS SRV record {NAME} (NXDOMAIN from {dns.address})"
    assert shown["resolved"]["error"] == reason
    server = start_service("--replication-retry", "1", folder=server_dir)
    use(server, "alice")
    wait_for(lambda: seat_users(server_dir) == 1)
    failed = run_lls(server_dir, "replication", "now")
    assert failed.returncode == 1
    assert failed.stderr.strip() == f"lls: error: replication failed: no master found: {reason}"
    wait_for(lambda: 213 in {event["event_id"] for event in events(server)})
    assert f"replication failed: no master found: {reason}" in server.log.read_text()
    status = ok(server_dir, "--json", "replication", "status")
    assert status["state"] == "failing" and status["last_error"] == f"no master found: {reason}"
    # The record appears: the retry (every second here, 15 minutes by default) replicates.
    dns.zones[NAME] = [(0, 0, master.endpoint.port, "localhost")]
    wait_for(lambda: ok(server_dir, "--json", "replication", "status")["state"] == "ok", timeout=20)
    assert pool(master_dir)["users"] == 1


def test_a_malformed_answer_is_the_reason_given(
    start_service: Callable[..., Any], tmp_path: Path, dns: DnsResponder, wait_for: Callable[..., float]
) -> None:
    server_dir = tmp_path / "S1"
    token = tmp_path / "token"
    token.write_text(json.dumps({"server": "S1", "secret": "x" * 43}))
    dns.zones[NAME] = "malformed"
    shown = set_domain_controller(server_dir, token)
    assert f"{dns.address} sent a malformed answer" in shown["resolved"]["error"]
    server = start_service("--replication-retry", "3600", folder=server_dir)
    failed = run_lls(server_dir, "replication", "now")
    assert failed.returncode == 1
    assert f"no master found: cannot look up DNS SRV {NAME}: {dns.address} sent a malformed answer" in (
        failed.stderr
    )
    assert "ends inside its answer record 1's data" in failed.stderr
    wait_for(lambda: 213 in {event["event_id"] for event in events(server)})


def test_the_domains_master_in_configuration_comes_before_dns(
    start_service: Callable[..., Any], tmp_path: Path, dns: DnsResponder
) -> None:
    master_dir, server_dir = tmp_path / "master", tmp_path / "S1"
    master = start_service(folder=master_dir)
    set_domain_controller(server_dir, enroll(master_dir, "S1", tmp_path))
    # What the configuration file's [replication] section sets: the store setting.
    connection = sqlite3.connect(server_dir / "licensing.sqlite3")
    with connection:
        connection.execute(
            "INSERT INTO settings (key, value) VALUES ('replication.domain_master', ?)",
            (f"127.0.0.1:{master.endpoint.port}",),
        )
    connection.close()
    start_service("--replication-retry", "3600", folder=server_dir)
    replicated = ok(server_dir, "replication", "now")
    assert "(from the domain's master in configuration) as S1" in replicated
    assert dns.queries == [("udp", NAME)]  # only the one of `replication set`, before the setting


def test_every_seconds_takes_the_originals_replication_time_from_60(lls: Lls, dns: DnsResponder) -> None:
    result = lls("--json", "replication", "set", "--domain-controller", "--every-seconds", "60")
    assert result.code == 0, result.stderr
    shown = result.json()
    assert (shown["frequency"], shown["every_seconds"], shown["domain"]) == ("every", 60, None)


def test_domain_controller_without_a_token_says_replication_waits_for_one(
    lls: Lls, dns: DnsResponder
) -> None:
    result = lls("replication", "set", "--domain-controller", "--domain", DOMAIN, "--every", "1")
    assert result.code == 0, result.stderr
    assert "no enrolment token yet" in result.stderr
    assert f"Resolved:      not now: no DNS SRV record {NAME}" in result.stdout
