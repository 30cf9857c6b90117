"""A batch body decoded in one pass (the service's way) gives what ``parse_batch(json.loads(body))`` gives:
the same rows for a valid batch, the same one-line refusal for a malformed one."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from applet.domain.errors import InvalidInput
from applet.store.enterprise import decode
from applet.store.enterprise.batch import MAX_BATCH_ROWS, MAX_TEXT, parse_batch
from applet.store.enterprise.decode import decode_batch

T0 = "2026-01-01T10:00:00+00:00"
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def every_kind() -> dict[str, Any]:
    """A protocol-2 batch with rows of every kind, optional fields both given and left out."""
    return {
        "protocol": 2,
        "server": "S1",
        "seq": 7,
        "created": T0,
        "products": [
            {
                "origin": "S1",
                "name": "Exchange",
                "mode": "per-seat",
                "per_server_licenses": 0,
                "per_seat_licenses": -3,
                "peak": 4,
                "removed": None,
            },
            {
                "origin": "S0",
                "name": "SQL Server",
                "mode": "per-server",
                "per_server_licenses": 10,
                "per_seat_licenses": 0,
                "peak": 2,
                "removed": T0,
            },
            {
                "origin": "S1",
                "name": "Old",
                "mode": "per-server",
                "per_server_licenses": 1,
                "per_seat_licenses": 0,
                "peak": 0,
            },
        ],
        "seat_uses": [
            {
                "origin": "S1",
                "product": "Exchange",
                "user": "ÉLODIE",
                "first_used": T0,
                "last_used": "2026-01-01T11:00:00+01:00",
                "usage_count": 3,
                "ignored": [1, {"x": None}],
            },
            {
                "origin": "S0",
                "product": "Exchange",
                "user": "bob",
                "first_used": T0,
                "last_used": T0,
                "usage_count": 0,
            },
        ],
        "samples": [
            {"origin": "S1", "product": "Exchange", "minute": 5, "max_in_use": 1, "requests": 2, "denials": 0}
        ],
        "purchases": [
            {
                "origin": "S1",
                "id": 1,
                "product": "Exchange",
                "mode": "per-seat",
                "quantity": -2,
                "administrator": "admin",
                "comment": "",
                "created": T0,
            }
        ],
        "events": [
            {
                "origin": "S1",
                "id": 9,
                "event_id": 201,
                "type": "warning",
                "time": T0,
                "product": None,
                "message": "m",
            },
            {"origin": "S1", "id": 10, "event_id": 221, "type": "error", "time": T0, "message": "n"},
        ],
        "deletions": [{"origin": "S1", "product": "Exchange", "user": "carol"}],
        "groups": [{"origin": "S1", "name": "Sales", "licenses": 2, "members": ["ann", "ben"]}],
    }


def both(document: Any) -> tuple[Any, Any]:
    """What each way makes of one body: the batch, or the refusal's message."""
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    results = []
    for way in (lambda: parse_batch(json.loads(body), NOW), lambda: decode_batch(body, NOW)):
        try:
            results.append(way())
        except InvalidInput as error:
            results.append(f"refused: {error}")
        except ValueError:
            results.append("not JSON")
    return results[0], results[1]


def test_a_batch_of_every_kind_decodes_to_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = both(every_kind())
    assert not isinstance(old, str)
    assert new == old
    # ... in one pass: a valid body never goes the way of json.loads and parse_batch.
    monkeypatch.setattr(decode, "parse_batch", None)
    assert decode_batch(json.dumps(every_kind()).encode(), NOW) == old
    monkeypatch.undo()
    assert old.rows["products"][2][-1] is None and old.rows["events"][1][5] is None
    # A protocol-1 batch (no kinds of protocol 2) and an empty one.
    first = {key: value for key, value in every_kind().items() if key not in ("deletions", "groups")}
    assert both({**first, "protocol": 1})[1] == both({**first, "protocol": 1})[0]
    assert (
        both({"protocol": 1, "server": "S1", "seq": 1, "created": T0})
        == (parse_batch({"protocol": 1, "server": "S1", "seq": 1, "created": T0}, NOW),) * 2
    )


def use(**change: Any) -> dict[str, Any]:
    row = {"origin": "S1", "product": "P", "user": "u", "first_used": T0, "last_used": T0, "usage_count": 1}
    return {**row, **change}


def with_rows(kind: str, *rows: dict[str, Any]) -> dict[str, Any]:
    return {**every_kind(), kind: list(rows)}


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[1, 2]",
        b'{"protocol": 1, "server": "S1", "seq": 1, "created": "' + T0.encode() + b'", "x": NaN}',
        {**every_kind(), "protocol": 3},
        {**every_kind(), "protocol": True},  # accepted by both (True == 1), as it always was
        {**every_kind(), "protocol": None},
        {**every_kind(), "seq": 0},
        {**every_kind(), "seq": "1"},
        {**every_kind(), "seq": True},
        {**every_kind(), "seq": 2**62},
        {**every_kind(), "created": "2999-01-01T00:00:00+00:00"},
        {**every_kind(), "created": "2026-01-01T10:00:00"},
        {**every_kind(), "server": "bad name!"},
        {**every_kind(), "server": None},
        {**every_kind(), "events": "all of them"},
        {**every_kind(), "events": None},
        with_rows("seat_uses", use(), "a row"),
        with_rows("seat_uses", use(first_used=None)),
        with_rows("seat_uses", use(last_used="yesterday")),
        with_rows("seat_uses", use(usage_count=-1)),
        with_rows("seat_uses", use(usage_count=1.0)),
        with_rows("seat_uses", use(usage_count=True)),
        with_rows("seat_uses", use(usage_count=2**62)),
        with_rows("seat_uses", use(usage_count=2**62 - 1)),
        with_rows("seat_uses", use(user="x" * (MAX_TEXT + 1))),
        with_rows("seat_uses", use(user="é" * MAX_TEXT)),
        with_rows("seat_uses", use(product="  ")),
        with_rows("seat_uses", use(origin="bad origin!")),
        with_rows("seat_uses", use(origin=7)),
        with_rows("seat_uses", *[use(user=f"u{n}") for n in range(MAX_BATCH_ROWS)]),
        with_rows("purchases", {**every_kind()["purchases"][0], "mode": "per-galaxy"}),
        with_rows("purchases", {**every_kind()["purchases"][0], "quantity": -(2**62)}),
        with_rows("products", {**every_kind()["products"][0], "removed": 5}),
        with_rows("products", {**every_kind()["products"][0], "peak": -1}),
        with_rows("groups", {"origin": "S1", "name": " ", "licenses": 1, "members": []}),
        with_rows("groups", {"origin": "S1", "name": "G", "licenses": 1, "members": ["a", ""]}),
        with_rows("groups", {"origin": "S1", "name": "G", "licenses": 1, "members": "a"}),
        with_rows("groups", {"origin": "S1", "name": "G", "licenses": 1, "members": ["a"] * 10_001}),
        with_rows("events", {**every_kind()["events"][0], "product": 3}),
    ],
)
def test_malformed_or_odd_bodies_get_the_same_answer_both_ways(document: Any) -> None:
    old, new = both(document)
    assert new == old


def test_a_refusal_says_what_is_wrong_as_before() -> None:
    assert both({**every_kind(), "seq": 0})[1] == "refused: seq must be a whole number from 1"
    assert both(b"not json")[1] == "not JSON"
