"""Small hardening items: names with bidirectional overrides or a byte-order mark are refused, and a
``service stop`` that times out exits 1 (issue 10, defect 9)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from applet.domain.errors import InvalidInput
from applet.domain.validation import clean_name
from applet.store import Store

INVISIBLE = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\ufeff",
]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_names_with_bidirectional_overrides_or_a_bom_are_refused(character: str) -> None:
    for what in ("product name", "user name", "client host"):
        with pytest.raises(InvalidInput, match="bidirectional"):
            clean_name(f"Ex{character}change", what)


def test_the_cli_and_the_api_refuse_them_and_change_nothing(
    lls: Callable[..., Any], store_snapshot: Callable[[], list[str]], service: Any, data_dir: Path
) -> None:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", limit=5, agreed=True)
    before = store_snapshot()
    result = lls("product", "add", "\u202eSQL Server")
    assert result.code == 2 and "bidirectional" in result.stderr and result.stderr.count("\n") == 1
    assert store_snapshot() == before
    for body in (
        {"product": "SQL Server", "user": "ali\u202ece"},
        {"product": "SQL Server", "user": "alice", "client": "\ufeffws1"},
    ):
        status, answer = service.http("POST", "/v1/licenses", body)
        assert status == 400 and "bidirectional" in answer["error"], answer


def test_stop_that_times_out_exits_1(lls: Callable[..., Any], lock_holder: Callable[..., Any]) -> None:
    # A service that ignores SIGTERM while it holds the store's lock (stuck), and never published.
    stuck = lock_holder(ignore_sigterm=True)
    result = lls("service", "stop", "--timeout", "1")
    assert result.code == 1, (result.stdout, result.stderr)
    assert "did not stop within 1 s" in result.stderr and result.stderr.count("\n") == 1
    assert stuck.poll() is None
