"""DNS SRV messages (applet.domain.dns): the query, reading answers (compressed names, malformed
messages), and the RFC 2782 order of the records."""

import random
import re
import struct

import pytest

from applet.domain.dns import (
    MalformedAnswer,
    SrvRecord,
    build_query,
    clean_domain,
    order_records,
    parse_answer,
    srv_name,
)
from applet.domain.errors import InvalidInput

NAME = "_licensing._tcp.example.test"


def question() -> bytes:
    return build_query(NAME, 0)[12:]


def header(query_id: int, flags: int, questions: int, answers: int) -> bytes:
    return struct.pack("!HHHHHH", query_id, flags, questions, answers, 0, 0)


# The header and question of an answer with one record (the record follows).
ONE = header(7, 0x8180, 1, 1) + question()


def srv(priority: int, weight: int, port: int, target: bytes) -> bytes:
    data = struct.pack("!HHH", priority, weight, port) + target
    return struct.pack("!HHHIH", 0xC00C, 33, 1, 300, len(data)) + data


def test_the_query_asks_recursively_for_the_srv_records_of_the_name() -> None:
    query = build_query(NAME, 0x1234)
    assert query[:12] == header(0x1234, 0x0100, 1, 0)
    assert query[12:] == b"\x0a_licensing\x04_tcp\x07example\x04test\x00" + b"\x00\x21\x00\x01"
    assert srv_name("Example.TEST.") == NAME


def test_an_answer_with_compressed_targets_is_read() -> None:
    # The second target points back into the first (b"\x06master" at its offset + 0 is "master.example.test").
    first = b"\x06master" + b"\xc0\x1c"  # "example.test" of the question, at byte 28
    message = header(7, 0x8180, 1, 2) + question()
    first_target_at = len(message) + 12 + 6
    message += srv(10, 60, 9000, first)
    message += srv(20, 0, 9001, b"\x06backup" + struct.pack("!H", 0xC000 | first_target_at))
    answer = parse_answer(message, 7, NAME)
    assert (answer.rcode, answer.truncated) == (0, False)
    assert answer.records == (
        SrvRecord(10, 60, 9000, "master.example.test"),
        SrvRecord(20, 0, 9001, "backup.master.example.test"),
    )


def test_nxdomain_and_truncation_are_reported() -> None:
    answer = parse_answer(header(7, 0x8383, 1, 0) + question(), 7, NAME)
    assert (answer.rcode_name, answer.records) == ("NXDOMAIN", ())
    assert parse_answer(header(7, 0x8380, 1, 0) + question(), 7, NAME).truncated


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"\x00\x07\x81", "shorter than a DNS header"),
        (header(8, 0x8180, 1, 0) + question(), "id 8 is not the query's 7"),
        (header(7, 0x0100, 1, 0) + question(), "a query, not an answer"),
        (header(7, 0x8180, 1, 0) + build_query("other.test", 0)[12:], "for 'other.test'"),
        (header(7, 0x8180, 1, 1) + question(), "ends inside its name"),
        (
            ONE + srv(1, 1, 1, b"\x01a\x00")[:-3],
            "ends inside its answer record 1's data",
        ),
        (ONE + srv(1, 1, 1, b"\xc0\xff"), "does not point back"),
        (ONE + srv(1, 1, 1, b"\x80"), "unknown label type 2"),
        (
            ONE + srv(1, 1, 1, b""),
            "too few",
        ),
        (ONE + srv(1, 1, 1, b"\x00\x00"), "does not end with its data"),
        (ONE + srv(1, 1, 1, b"\x3fa" * 5), "ends inside its name"),
        (
            ONE + srv(1, 1, 1, (b"\x3f" + b"a" * 63) * 4 + b"\x00"),
            "longer than 255 bytes",
        ),
    ],
)
def test_a_malformed_answer_says_what_is_wrong(message: bytes, reason: str) -> None:
    with pytest.raises(MalformedAnswer, match=re.escape(reason)):
        parse_answer(message, 7, NAME)


def test_records_go_by_priority_then_by_weight() -> None:
    low = SrvRecord(10, 60, 1, "a")
    light = SrvRecord(10, 20, 2, "b")
    zero = SrvRecord(10, 0, 3, "c")
    later = SrvRecord(20, 100, 4, "d")
    records = (later, light, zero, low)
    # Drawing 0 takes the zero-weight record first (RFC 2782 puts them first in the running sum), then
    # the first of the rest; drawing the total takes the last of the running sum, down to the zero.
    assert order_records(records, lambda total: 0) == [zero, light, low, later]
    assert order_records(records, lambda total: total) == [low, light, zero, later]
    # Over many draws the first choice follows the weights: 60 of 80 for "a".
    draw = random.Random(2782)
    firsts = [order_records(records, lambda total: draw.randint(0, total))[0] for _ in range(4000)]
    share = firsts.count(low) / len(firsts)
    assert 0.70 < share < 0.80, share
    assert firsts.count(zero) < 100  # only when the draw is exactly 0


def test_a_target_of_dot_means_no_master() -> None:
    assert order_records((SrvRecord(0, 0, 0, "."),), lambda total: 0) == []


@pytest.mark.parametrize("bad", ["", "bad domain", "-a.test", "a..test", "x" * 64 + ".test", 5])
def test_a_domain_must_be_a_dns_name(bad: object) -> None:
    with pytest.raises(InvalidInput, match="not a DNS domain"):
        clean_domain(bad)
