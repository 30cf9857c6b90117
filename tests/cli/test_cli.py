"""The ``lls`` command as a user runs it: output, ``--json``, exit codes, and bad input changing nothing."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from applet.store.schema import builtin_product_name

BUILTIN = builtin_product_name()


def test_paths_prints_every_location(lls: Callable, data_dir: Path) -> None:
    result = lls("--json", "paths")
    assert result.code == 0
    paths = result.json()
    assert paths["data_dir"] == str(data_dir)
    assert paths["database"].endswith("licensing.sqlite3")
    assert paths["source"] == "--data-dir"


def test_json_flag_is_accepted_after_the_subcommand_too(lls: Callable) -> None:
    assert lls("product", "list", "--json").json()[0]["name"] == BUILTIN


def test_product_lifecycle_and_history(lls: Callable) -> None:
    assert (
        lls(
            "product", "add", "SQL Server", "--family", "SQL", "--version", "7.0", "--limit", "5", "--agree"
        ).code
        == 0
    )
    assert lls("licenses", "add", "SQL Server", "3", "--comment", "PO 7", "--agree").code == 0
    assert lls("licenses", "remove", "SQL Server", "2", "--comment", "returned").code == 0
    product = lls("--json", "product", "show", "sql server").json()
    assert product["concurrent_limit"] == 6 and product["mode"] == "per-server"
    history = lls("--json", "history", "--product", "SQL Server").json()
    assert [(h["quantity"], h["comment"]) for h in history] == [
        (-2, "returned"),
        (3, "PO 7"),
        (5, "initial licenses at registration"),
    ]
    assert all(h["administrator"] for h in history)
    text = lls("history").stdout
    assert "PO 7" in text and "Administrator" in text
    assert lls("product", "remove", "SQL Server").code == 0
    assert [p["name"] for p in lls("--json", "product", "list").json()] == [BUILTIN]


def test_product_add_with_licenses_goes_through_the_agreement(lls: Callable) -> None:
    refused = lls("product", "add", "IIS", "--limit", "5")
    assert refused.code == 2 and "--agree" in refused.stderr
    assert lls("--json", "product", "list").json()[-1]["name"] != "IIS"
    assert lls("product", "add", "IIS", "--limit", "5", "--agree").code == 0
    assert [(h["quantity"], h["mode"]) for h in lls("--json", "history", "--product", "IIS").json()] == [
        (5, "per-server")
    ]
    events = lls("--json", "events", "--product", "IIS").json()
    assert [e["event_id"] for e in events] == [236, 233]
    assert "5 Per Server licenses were added to product IIS" in events[1]["message"]


def test_the_flip_is_one_way(lls: Callable) -> None:
    lls("product", "add", "Exchange")
    refused = lls("mode", "Exchange", "per-seat")
    assert refused.code == 2 and "--agree" in refused.stderr
    assert lls("mode", "Exchange", "per-seat", "--agree").code == 0
    back = lls("mode", "Exchange", "per-server", "--agree")
    assert back.code == 2
    assert "one-time and one-way" in back.stderr
    assert back.stderr.count("\n") == 1


def test_groups_clients_replication_events_reset(lls: Callable) -> None:
    assert lls("group", "add", "Lab", "--licenses", "2", "--description", "shift").code == 0
    assert lls("group", "members", "Lab", "add", "ann", "bob").code == 0
    groups = lls("--json", "group", "list").json()
    assert groups[0]["members"] == ["ann", "bob"] and groups[0]["licenses"] == 2
    assert lls("group", "members", "Lab", "remove", "bob").code == 0
    assert lls("group", "remove", "Lab").code == 0
    assert lls("--json", "clients").json() == []
    missing = lls("clients", "delete", "nobody")
    assert missing.code == 2 and "unknown client" in missing.stderr
    settings = lls(
        "--json", "replication", "set", "--enterprise-server", "ent.example.com", "--start-at", "03:15"
    )
    assert settings.json()["enterprise_server"] == "ent.example.com"
    assert lls("--json", "replication", "show").json()["start_at"] == "03:15"
    events = lls("--json", "events").json()
    assert events == []  # group and replication changes are audited, not events
    lls("product", "add", "IIS")
    assert [e["event_id"] for e in lls("--json", "events", "--product", "IIS").json()] == [236]
    assert lls("--json", "events", "--since", "2999-01-01").json() == []
    assert lls("reset", "usage").code == 2
    assert lls("reset", "all", "--yes").code == 0


BAD_INPUTS = [
    ("product", "add", ""),
    ("product", "add", "   "),
    ("product", "add", "x" * 129),
    ("product", "add", "bad\x01name"),
    ("product", "add", BUILTIN),
    ("product", "add", "P", "--limit", "-3", "--agree"),
    ("product", "add", "P", "--limit", "5"),
    ("product", "add", "P", "--mode", "per-device"),
    ("product", "show", "Unknown"),
    ("product", "remove", "Unknown"),
    ("product", "remove", BUILTIN),
    ("licenses", "add", "Unknown", "5", "--agree"),
    ("licenses", "add", BUILTIN, "0", "--agree"),
    ("licenses", "add", BUILTIN, "-1", "--agree"),
    ("licenses", "add", BUILTIN, "ten", "--agree"),
    ("licenses", "add", BUILTIN, "1000001", "--agree"),
    ("licenses", "add", BUILTIN, "5"),
    ("licenses", "remove", BUILTIN, "1"),
    ("mode", BUILTIN, "per-seat"),
    ("mode", BUILTIN, "sideways", "--agree"),
    ("group", "add", "", "--licenses", "1"),
    ("group", "add", "G", "--licenses", "-1"),
    ("group", "members", "Nope", "add", "ann"),
    ("replication", "set", "--enterprise-server=-bad-", "--every", "24"),
    ("replication", "set", "--domain-controller", "--every", "0"),
    ("replication", "set", "--domain-controller", "--start-at", "25:00"),
    ("replication", "set", "--domain-controller"),
    ("events", "--since", "yesterday"),
    ("reset", "everything", "--yes"),
    ("clients", "delete"),
    ("no-such-command",),
]


@pytest.mark.parametrize("arguments", BAD_INPUTS, ids=lambda a: " ".join(a)[:40])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    lls: Callable, store_snapshot: Callable[[], list[str]], arguments: tuple[str, ...]
) -> None:
    lls("product", "list")  # create the store
    before = store_snapshot()
    result = lls(*arguments)
    assert result.code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("lls: error: ")
    assert "Traceback" not in result.stderr
    assert store_snapshot() == before


def test_a_mode_flip_after_the_flip_changes_nothing(
    lls: Callable, store_snapshot: Callable[[], list[str]]
) -> None:
    lls("mode", BUILTIN, "per-seat", "--agree")
    before = store_snapshot()
    assert lls("mode", BUILTIN, "per-server", "--agree").code == 2
    assert store_snapshot() == before


def test_a_corrupt_database_is_exit_1_and_left_alone(lls: Callable, data_dir: Path) -> None:
    data_dir.mkdir()
    database = data_dir / "licensing.sqlite3"
    database.write_bytes(b"garbage" * 1000)
    result = lls("product", "list")
    assert result.code == 1
    assert "corrupt" in result.stderr and result.stderr.count("\n") == 1
    assert database.read_bytes() == b"garbage" * 1000


def test_a_locked_database_is_exit_1_and_changes_nothing(
    lls: Callable, data_dir: Path, store_snapshot: Callable[[], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    lls("product", "list")
    before = store_snapshot()
    monkeypatch.setenv("LLS_BUSY_TIMEOUT", "0.3")
    blocker = sqlite3.connect(data_dir / "licensing.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = lls("product", "add", "IIS")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.code == 1
    assert "locked" in result.stderr and result.stderr.count("\n") == 1
    assert store_snapshot() == before


def test_an_unwritable_data_folder_is_exit_1(lls: Callable, tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    result = lls("--data-dir", str(blocker / "data"), "product", "list")
    assert result.code == 1
    assert "cannot create the data folder" in result.stderr


def test_python_m_applet_version(lls: Callable) -> None:
    result = lls("--version")
    assert result.code == 0 and result.stdout.startswith("lls ")


def test_events_follow_streams_new_events(lls: Callable, data_dir: Path) -> None:
    import json
    import subprocess
    import sys

    assert lls("product", "add", "Before").code == 0
    command = [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "--json", "events", "--follow"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as follower:
        try:
            assert follower.stdout is not None
            # The existing event comes first, which also proves the follower is running ...
            assert json.loads(follower.stdout.readline())["product"] == "Before"
            # ... then a change made afterwards by another process streams in.
            assert lls("product", "add", "After").code == 0
            event = json.loads(follower.stdout.readline())
            assert (event["event_id"], event["product"]) == (236, "After")
        finally:
            follower.terminate()
