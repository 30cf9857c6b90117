"""``lls`` run by a user who is not an administrator, on a store that is not theirs: every change is
refused with exit 1 and the one line of applet.store.access, before anything is written; reading works.

A real process as a real other user (``nobody``), so it needs root to switch users. In the first test
the store's folder and file are left writable by everyone, so the operating system would let ``nobody``
write: what stops the change is the rule, and the store is compared row by row before and after. The
others share the store for reading only (folder 0755, file 0644), as an administrator would: it is then
opened read-only, with or without the service writing to it.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from applet.store import Store
from applet.store.access import CallerFacts, StoreFacts, decide_access
from applet.store.schema import SCHEMA_VERSION
from tests.conftest import snapshot

OLD_RELEASE = Path(__file__).parents[1] / "store" / "fixtures" / "licensing-v1.sql"

NOBODY = 65534

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="running lls as another user needs root and setpriv (util-linux)",
)

CHANGES = [
    ("licenses", "add", "Web Server", "2", "--agree"),
    ("licenses", "remove", "Web Server", "1"),
    ("product", "add", "Mail Server"),
    ("product", "remove", "Web Server"),
    ("product", "observe", "Web Server", "--sessions"),
    ("mode", "Web Server", "per-seat", "--agree"),
    ("clients", "delete", "alice"),
    ("group", "add", "Crew", "--licenses", "1"),
    ("group", "members", "Staff", "add", "bob"),
    ("group", "remove", "Staff"),
    ("reset", "usage", "--yes"),
    ("replication", "set", "--enterprise-server", "master", "--every", "24"),
    ("service", "start", "--port", "0"),
    ("service", "stop"),
    ("service", "startup", "manual"),
]


def as_nobody(data_dir: Path, *args: str, program: str = "applet") -> subprocess.CompletedProcess[str]:
    """``lls --data-dir DIR ARGS`` (or another ``program`` module) as the user nobody, with no groups.

    The interpreter of this test run may live under root's home (0700), which nobody cannot enter: the
    process keeps CAP_DAC_READ_SEARCH (read and search, never write) so it can load it. The rule looks
    at uid and groups only, so to it this is nobody all the same.
    """
    command = [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        "--",
        sys.executable,
        "-m",
        program,
        "--data-dir",
        str(data_dir),
        *args,
    ]
    # HOME and USER of root would be misleading (and unreadable); nobody's name comes from its uid.
    environment = {key: value for key, value in os.environ.items() if key not in ("HOME", "USER", "LOGNAME")}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=environment
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder nobody can reach: pytest's own temporary folders are root's alone (0700), and the
    store checks its folder with access(2), which ignores capabilities."""
    parent = Path(tempfile.mkdtemp(prefix="lls-admins-"))
    parent.chmod(0o755)
    try:
        yield parent / "licensing"
    finally:
        shutil.rmtree(parent)


def test_lls_as_nobody_refuses_every_change_and_still_reads(shared_dir: Path) -> None:
    data_dir = shared_dir
    with Store.open(data_dir) as store:
        store.products.add("Web Server", "root", limit=3, agreed=True)
        store.groups.add("Staff", 1, "root")
    # Writable by everyone, owned by root: the operating system would allow nobody to write.
    data_dir.chmod(0o777)
    for child in data_dir.iterdir():
        child.chmod(0o666)
    before = snapshot(data_dir)
    line = decide_access(
        CallerFacts("nobody", NOBODY, frozenset({"nogroup"})),
        StoreFacts(data_dir, machine_wide=False, owner_uid=0),
        windows=False,
    ).reason
    assert line.startswith("Read-only: only an administrator can change the shared store")

    for change in CHANGES:
        result = as_nobody(data_dir, *change)
        assert result.returncode == 1, (change, result.stdout, result.stderr)
        assert result.stderr == f"lls: error: {line}\n", change
        assert result.stdout == ""
        assert snapshot(data_dir) == before, change

    # A product's setup changes the store too (licensing --setup, with or without its window).
    for window in ([], ["--unattended"]):
        setup = as_nobody(
            data_dir, "--setup", "--product", "Mail Server", *window, program="applet.ui.licensing_main"
        )
        assert (setup.returncode, setup.stderr) == (1, f"licensing: error: {line}\n")
        assert snapshot(data_dir) == before

    listed = as_nobody(data_dir, "--json", "product", "list")
    assert listed.returncode == 0, listed.stderr
    assert '"name": "Web Server"' in listed.stdout and '"licenses": 3' in listed.stdout
    assert as_nobody(data_dir, "group", "list").returncode == 0
    assert snapshot(data_dir) == before


def nobodys_line(data_dir: Path) -> str:
    """What ``lls`` says to nobody about a store of root's."""
    return decide_access(
        CallerFacts("nobody", NOBODY, frozenset({"nogroup"})),
        StoreFacts(data_dir, machine_wide=False, owner_uid=0),
        windows=False,
    ).reason


def share_for_reading(data_dir: Path) -> None:
    data_dir.chmod(0o755)
    for child in data_dir.iterdir():
        child.chmod(0o644)


def test_a_store_shared_for_reading_reads_for_nobody_even_while_the_service_writes(
    shared_dir: Path,
) -> None:
    data_dir = shared_dir
    with Store.open(data_dir) as store:
        store.products.add("Web Server", "root", limit=3, agreed=True)
    share_for_reading(data_dir)
    before = snapshot(data_dir)
    refused = as_nobody(data_dir, "licenses", "add", "Web Server", "2", "--agree")
    assert (refused.returncode, refused.stderr) == (1, f"lls: error: {nobodys_line(data_dir)}\n")
    for command in (("product", "list"), ("history",), ("events",), ("report", "compliance")):
        result = as_nobody(data_dir, *command)
        assert result.returncode == 0, (command, result.stderr)
    assert "Web Server" in as_nobody(data_dir, "product", "list").stdout
    assert snapshot(data_dir) == before

    # A writer (as the service would be) holds the store open, its last change still in the -wal file,
    # which SQLite gives the store file's mode: nobody reads what it wrote.
    with Store.open(data_dir) as writer:
        writer.ledger.add("Web Server", 4, "root", agreed=True)
        assert (data_dir / "licensing.sqlite3-wal").stat().st_size > 0
        listed = as_nobody(data_dir, "--json", "product", "show", "Web Server")
        assert listed.returncode == 0, listed.stderr
        assert '"licenses": 7' in listed.stdout


def test_an_old_store_shared_for_reading_is_not_upgraded_by_a_reader(shared_dir: Path) -> None:
    data_dir = shared_dir
    data_dir.mkdir()
    old = sqlite3.connect(data_dir / "licensing.sqlite3")
    old.executescript(OLD_RELEASE.read_text())
    old.execute("PRAGMA user_version = 1")
    old.close()
    share_for_reading(data_dir)
    before = (data_dir / "licensing.sqlite3").read_bytes()
    result = as_nobody(data_dir, "product", "list")
    assert result.returncode == 1
    assert result.stderr == (
        f"lls: error: the database {data_dir / 'licensing.sqlite3'} needs an upgrade (schema 1 to "
        f"{SCHEMA_VERSION}), which needs write access to {data_dir}; run Licensing once as its "
        "administrator\n"
    )
    assert (data_dir / "licensing.sqlite3").read_bytes() == before
    assert sorted(path.name for path in data_dir.iterdir()) == ["licensing.sqlite3"]
