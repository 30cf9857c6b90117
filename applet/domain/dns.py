"""DNS SRV messages without I/O: the query a server sends to find its domain's master, the answer's
records, and the order RFC 2782 says to try them in.

A server in Domain Controller mode (Configure Replication) finds its master with the SRV record
``_licensing._tcp.<domain>`` (:func:`srv_name`). The standard library has no SRV lookup, and the
message format is small (RFC 1035 §4: a 12-byte header, the question, resource records with
compressed names), so it is built and read here rather than adding dnspython for one record type;
:mod:`applet.store.master_lookup` sends it over UDP.

Anything an answer gets wrong -- cut short, a compression pointer that loops or points past the end,
a label over 63 bytes, SRV data of the wrong length -- raises :class:`MalformedAnswer` with what was
wrong, so the administrator reads why in event 213 and ``lls replication status``.
"""

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from applet.domain.errors import InvalidInput

SRV_SERVICE = "_licensing._tcp"
TYPE_SRV = 33
CLASS_IN = 1
FLAG_RESPONSE = 0x8000
FLAG_TRUNCATED = 0x0200
FLAG_RECURSION_DESIRED = 0x0100
RCODE_NAMES = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
}
RCODE_NXDOMAIN = 3
_HEADER = struct.Struct("!HHHHHH")
_RECORD = struct.Struct("!HHIH")
_SRV = struct.Struct("!HHH")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


class MalformedAnswer(ValueError):
    """A DNS answer that does not follow RFC 1035; the message says what is wrong with it."""


@dataclass(frozen=True)
class SrvRecord:
    """One SRV record: where a master listens, and how it ranks (RFC 2782)."""

    priority: int
    weight: int
    port: int
    target: str


@dataclass(frozen=True)
class SrvAnswer:
    """A decoded response: its return code, whether it was truncated, and its SRV records."""

    rcode: int
    truncated: bool
    records: tuple[SrvRecord, ...]

    @property
    def rcode_name(self) -> str:
        """NOERROR, NXDOMAIN, ... as resolvers print them."""
        return RCODE_NAMES.get(self.rcode, f"RCODE {self.rcode}")


def clean_domain(value: object) -> str:
    """A DNS domain as ``--domain`` takes it (``example.com``), lower case, without the final dot."""
    text = value.strip().rstrip(".").lower() if isinstance(value, str) else ""
    labels = text.split(".")
    if not text or len(text) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidInput(f"not a DNS domain: {value!r} (such as example.com)")
    return text


def srv_name(domain: str) -> str:
    """The SRV name that names a domain's licensing master."""
    return f"{SRV_SERVICE}.{clean_domain(domain)}"


def build_query(name: str, query_id: int) -> bytes:
    """A standard recursive query for the SRV records of ``name``."""
    header = _HEADER.pack(query_id, FLAG_RECURSION_DESIRED, 1, 0, 0, 0)
    return header + _encode_name(name) + struct.pack("!HH", TYPE_SRV, CLASS_IN)


def _encode_name(name: str) -> bytes:
    encoded = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("idna") if label else b""
        if not 1 <= len(raw) <= 63:
            raise InvalidInput(f"not a DNS name: {name!r}")
        encoded += bytes([len(raw)]) + raw
    return encoded + b"\0"


def parse_answer(message: bytes, query_id: int, name: str) -> SrvAnswer:
    """Decode the response to :func:`build_query` (``query_id``, ``name``).

    Raises :class:`MalformedAnswer` when it is not a well-formed response to that query.
    """
    if len(message) < _HEADER.size:
        raise MalformedAnswer(f"the answer is {len(message)} bytes, shorter than a DNS header")
    answer_id, flags, questions, answers, _, _ = _HEADER.unpack_from(message)
    if answer_id != query_id:
        raise MalformedAnswer(f"the answer's id {answer_id} is not the query's {query_id}")
    if not flags & FLAG_RESPONSE:
        raise MalformedAnswer("the message is a query, not an answer")
    offset = _HEADER.size
    for _ in range(questions):
        asked, offset = _read_name(message, offset)
        _need(message, offset, 4, "question")
        if asked.casefold() != name.rstrip(".").casefold():
            raise MalformedAnswer(f"the answer is for {asked!r}, not {name!r}")
        offset += 4
    records: list[SrvRecord] = []
    for index in range(answers):
        _, offset = _read_name(message, offset)
        _need(message, offset, _RECORD.size, f"answer record {index + 1}")
        kind, _klass, _ttl, length = _RECORD.unpack_from(message, offset)
        offset += _RECORD.size
        _need(message, offset, length, f"answer record {index + 1}'s data")
        if kind == TYPE_SRV:
            if length < _SRV.size + 1:
                raise MalformedAnswer(f"SRV record {index + 1} has {length} bytes of data, too few")
            priority, weight, port = _SRV.unpack_from(message, offset)
            target, end = _read_name(message, offset + _SRV.size)
            if end != offset + length:
                raise MalformedAnswer(f"SRV record {index + 1}'s target does not end with its data")
            records.append(SrvRecord(priority, weight, port, target))
        offset += length
    return SrvAnswer(flags & 0x000F, bool(flags & FLAG_TRUNCATED), tuple(records))


def _need(message: bytes, offset: int, size: int, what: str) -> None:
    if offset + size > len(message):
        raise MalformedAnswer(f"the answer ends inside its {what} (byte {len(message)} of {offset + size})")


def _read_name(message: bytes, offset: int) -> tuple[str, int]:
    """A possibly compressed name at ``offset``, and the offset after it in the record.

    Compression pointers must point backwards, which also rules out loops.
    """
    labels: list[str] = []
    end: int | None = None
    length_total = 0
    while True:
        _need(message, offset, 1, "name")
        size = message[offset]
        if size & 0xC0 == 0xC0:
            _need(message, offset, 2, "name")
            pointer = struct.unpack_from("!H", message, offset)[0] & 0x3FFF
            if pointer >= offset:
                raise MalformedAnswer(f"a name's compression pointer at byte {offset} does not point back")
            end = offset + 2 if end is None else end
            offset = pointer
            continue
        if size & 0xC0:
            raise MalformedAnswer(f"unknown label type {size >> 6} at byte {offset}")
        offset += 1
        if size == 0:
            return ".".join(labels) or ".", offset if end is None else end
        _need(message, offset, size, "name")
        length_total += size + 1
        if length_total > 255:
            raise MalformedAnswer("a name is longer than 255 bytes")
        labels.append(message[offset : offset + size].decode("ascii", errors="replace"))
        offset += size


def order_records(records: tuple[SrvRecord, ...], draw: Callable[[int], int]) -> list[SrvRecord]:
    """The order to try ``records`` in (RFC 2782): lowest priority first, and within a priority a
    weighted random order, where ``draw(total)`` returns a number from 0 to ``total`` inclusive.

    A single record whose target is ``.`` means the domain has no licensing master: the list is empty.
    """
    if len(records) == 1 and records[0].target == ".":
        return []
    ordered: list[SrvRecord] = []
    for priority in sorted({record.priority for record in records}):
        # Zero weights first, as RFC 2782 asks, so they are chosen only when nothing else is left.
        remaining = sorted((r for r in records if r.priority == priority), key=lambda r: r.weight > 0)
        while remaining:
            total = sum(record.weight for record in remaining)
            chosen = min(max(draw(total), 0), total)
            running = 0
            for index, record in enumerate(remaining):
                running += record.weight
                if running >= chosen:
                    ordered.append(remaining.pop(index))
                    break
    return [record for record in ordered if record.target != "."]
