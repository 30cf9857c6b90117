"""Finding the domain's master (applet.store.master_lookup) against a real DNS responder on 127.0.0.1:
SRV records in RFC 2782 order, no record, malformed and truncated answers, a server that does not
answer, the configured master first, and where the DNS servers come from."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from applet.domain.replication import MasterAddress
from applet.store.master_lookup import (
    DNS_SERVERS_ENV,
    MasterNotFound,
    dns_servers,
    find_domain_master,
    query_srv,
    resolve_address,
    resolve_master,
)
from applet.store.master_lookup import _resolv_conf_servers as resolv_conf_servers
from tests.service.dns_responder import DnsResponder

NAME = "_licensing._tcp.example.test"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsResponder]:
    with DnsResponder() as responder:
        monkeypatch.setenv(DNS_SERVERS_ENV, responder.address)
        yield responder


def test_the_srv_records_name_the_masters_in_priority_order(dns: DnsResponder) -> None:
    dns.zones[NAME] = [(20, 0, 9001, "backup.example.test"), (10, 5, 9000, "master.example.test")]
    found = find_domain_master(None, "Example.Test")
    assert found.addresses == (
        MasterAddress("master.example.test", 9000),
        MasterAddress("backup.example.test", 9001),
    )
    assert found.found_by == f"DNS SRV {NAME}"
    assert dns.queries == [("udp", NAME)]


def test_no_record_says_which_name_was_looked_up(dns: DnsResponder) -> None:
    with pytest.raises(MasterNotFound, match=f"no DNS SRV record {NAME} \\(NXDOMAIN from {dns.address}\\)"):
        find_domain_master(None, "example.test")


def test_a_malformed_answer_is_reported_as_such(dns: DnsResponder) -> None:
    dns.zones[NAME] = "malformed"
    with pytest.raises(MasterNotFound) as raised:
        find_domain_master(None, "example.test")
    assert str(raised.value).startswith(
        f"cannot look up DNS SRV {NAME}: {dns.address} sent a malformed answer"
    )
    assert "ends inside its answer record 1's data" in str(raised.value)


def test_a_truncated_answer_is_asked_again_over_tcp(dns: DnsResponder) -> None:
    dns.zones[NAME] = "truncated"
    dns.zones[NAME + "+tcp"] = [(0, 0, 9000, "big.example.test")]
    assert find_domain_master(None, "example.test").addresses == (MasterAddress("big.example.test", 9000),)
    assert dns.queries == [("udp", NAME), ("tcp", NAME)]


def test_a_server_that_fails_or_is_silent_is_passed_over(dns: DnsResponder) -> None:
    dns.zones[NAME] = [(0, 0, 9000, "master.example.test")]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent, DnsResponder() as failing:
        silent.bind(("127.0.0.1", 0))
        failing.zones[NAME] = "servfail"
        servers = [
            ("127.0.0.1", silent.getsockname()[1]),
            ("127.0.0.1", failing.port),
            ("127.0.0.1", dns.port),
        ]
        assert query_srv(NAME, servers, timeout=0.3)[0].target == "master.example.test"
        with pytest.raises(MasterNotFound) as raised:
            query_srv(NAME, servers[:2], timeout=0.3)
    assert str(raised.value) == (
        f"cannot look up DNS SRV {NAME}: 127.0.0.1:{servers[0][1]} did not answer within 0.3 s; "
        f"{failing.address} answered SERVFAIL"
    )


def test_a_target_of_dot_says_the_domain_has_no_master(dns: DnsResponder) -> None:
    dns.zones[NAME] = [(0, 0, 0, "")]
    with pytest.raises(MasterNotFound, match="says the domain has no licensing master"):
        find_domain_master(None, "example.test")


def test_the_master_named_in_configuration_comes_before_dns(dns: DnsResponder) -> None:
    dns.zones[NAME] = [(0, 0, 9000, "master.example.test")]
    found = find_domain_master("\\\\LIC_MASTER:9100", "example.test")
    assert found.addresses == (MasterAddress("LIC_MASTER", 9100),)
    assert found.found_by == "the domain's master in configuration"
    assert dns.queries == []
    with pytest.raises(MasterNotFound, match=r"replication.domain_master.*not a host name"):
        find_domain_master("bad host", "example.test")


def test_without_a_domain_the_machines_dns_domain_is_used(
    dns: DnsResponder, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns.zones[NAME] = [(0, 0, 9000, "master.example.test")]
    monkeypatch.setattr(socket, "getfqdn", lambda: "server1.example.test")
    assert find_domain_master(None, None).addresses[0].host == "master.example.test"
    monkeypatch.setattr(socket, "getfqdn", lambda: "server1")
    with pytest.raises(MasterNotFound, match=r"'server1' has no DNS domain.*--domain DOMAIN"):
        find_domain_master(None, None)


def test_dns_servers_from_the_environment_or_resolv_conf(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(DNS_SERVERS_ENV, "127.0.0.1:5353, [::1]:53,10.0.0.1")
    assert dns_servers() == [("127.0.0.1", 5353), ("::1", 53), ("10.0.0.1", 53)]
    monkeypatch.setenv(DNS_SERVERS_ENV, "127.0.0.1:99999")
    with pytest.raises(MasterNotFound, match=f"{DNS_SERVERS_ENV}: not a DNS server"):
        dns_servers()
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# comment\nsearch example.test\nnameserver 10.0.0.53\nnameserver fe80::1%eth0\noptions x\n"
    )
    assert resolv_conf_servers(conf) == [("10.0.0.53", 53), ("fe80::1%eth0", 53)]
    conf.write_text("search example.test\n")
    assert resolv_conf_servers(conf) == [("127.0.0.1", 53)]  # resolv.conf(5): the local machine
    with pytest.raises(MasterNotFound, match="cannot read the DNS servers"):
        resolv_conf_servers(tmp_path / "missing")


def test_what_the_dialog_and_lls_show_for_a_typed_master() -> None:
    assert resolve_address(MasterAddress("127.0.0.1", 9000)) == ("127.0.0.1:9000",)
    shown = resolve_master("enterprise-server", "127.0.0.1:9000")
    assert (str(shown), shown.error) == ("127.0.0.1:9000 \N{RIGHTWARDS ARROW} 127.0.0.1:9000", "")
    unknown = resolve_master("enterprise-server", "\\\\NO_SUCH_MASTER.invalid")
    assert unknown.master == "NO_SUCH_MASTER.invalid" and unknown.addresses == ()
    assert unknown.error.startswith("cannot resolve NO_SUCH_MASTER.invalid: ")
    assert "not a host name" in resolve_master("enterprise-server", "bad host!").error


def test_what_lls_shows_for_the_domains_master(dns: DnsResponder) -> None:
    dns.zones[NAME] = [(0, 0, 9000, "localhost")]
    shown = resolve_master("domain-controller", "", None, "example.test")
    assert shown.as_dict() == {
        "master": "localhost:9000",
        "found_by": f"DNS SRV {NAME}",
        "addresses": list(resolve_address(MasterAddress("localhost", 9000))),
        "error": None,
    }
    missing = resolve_master("domain-controller", "", None, "nowhere.test")
    assert missing.error.startswith("no DNS SRV record _licensing._tcp.nowhere.test")


def test_domain_controller_is_scheduled_only_once_the_server_is_enrolled(tmp_path: Path) -> None:
    # A fresh store says Domain Controller: without an enrolment it must not look for a master (and
    # log 213) every 15 minutes.
    from applet.store import Store
    from applet.store.outbox import replication_schedule, token_path, write_token_file

    with Store.open(tmp_path) as store:
        assert store.replication.get().master == "domain-controller"
        assert replication_schedule(store) is None
        write_token_file(token_path(store.paths), "S1", "x" * 43)
        scheduled = replication_schedule(store)
        assert scheduled is not None and scheduled[0].master == "domain-controller"
