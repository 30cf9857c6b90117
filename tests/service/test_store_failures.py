"""A damaged or full store: one line and exit 1 from the CLI, 503 from the service, usage kept and
retried by the write loop until it is saved; a 0-byte store file is refused, not replaced (issue 10,
defects 3, 6 and 10)."""

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from applet.client.api import ServiceClient
from applet.domain.products import LicenseMode
from applet.store import Store

Lls = Callable[..., Any]


def damage_table(database: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage, as a bad disk sector would."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    finally:
        connection.close()
    with open(database, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def configured(data_dir: Path) -> Path:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", limit=10, agreed=True)
        store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=100_000, agreed=True)
    return data_dir / "licensing.sqlite3"


ADMIN_COMMANDS = [
    ("licenses", "add", "SQL Server", "5", "--agree"),
    ("licenses", "remove", "SQL Server", "1"),
    ("product", "add", "Fresh", "--limit", "2", "--agree"),
    ("mode", "SQL Server", "per-seat", "--agree"),
    ("group", "add", "Sales", "--licenses", "3"),
    ("replication", "set", "--domain-controller", "--every", "12"),
    ("reset", "usage", "--yes"),
]


@pytest.mark.parametrize("command", ADMIN_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_damaged_page_inside_a_write_is_one_line_and_exit_1(
    lls: Lls, configured: Path, command: tuple[str, ...]
) -> None:
    damage_table(configured, "audit")  # written inside every administrative transaction
    before = _digest(configured)
    result = lls(*command)
    assert result.code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("lls: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert _digest(configured) == before


def test_the_service_answers_503_and_keeps_the_batch(
    start_service: Callable[..., Any], configured: Path, data_dir: Path, wait_for: Callable[..., float]
) -> None:
    damage_table(configured, "audit")
    damage_table(configured, "seat_clients")  # where the write loop saves Per Seat usage
    service = start_service()
    status, body = service.http(
        "POST", "/v1/admin/products/SQL%20Server/licenses", {"quantity": 5, "agree": True}, token="admin"
    )
    assert status == 503 and "store" in body["error"], body
    with ServiceClient(service.endpoint) as client:
        client.request("Exchange", "first-user")
        wait_for(lambda: client.status()["failed_writes"] >= 2, timeout=15)
        document = client.status()
    assert document["usage_not_saved_since"]
    assert service.process.poll() is None
    assert "Traceback" not in service.log.read_text()


def test_a_zero_byte_store_is_refused_and_left_untouched(lls: Lls, data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    database = data_dir / "licensing.sqlite3"
    database.touch()
    for command in (("product", "list"), ("licenses", "add", "SQL Server", "5", "--agree")):
        result = lls(*command)
        assert result.code == 1, result.stderr
        assert result.stderr.count("\n") == 1 and "empty" in result.stderr
        assert database.stat().st_size == 0
    assert sorted(path.name for path in data_dir.iterdir()) == ["licensing.sqlite3"]


def test_a_missing_data_folder_is_made_owner_only_by_service_start(lls: Lls, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "deeper" / "data"
    started = lls("--data-dir", str(folder), "service", "start", "--port", "0")
    try:
        assert started.code == 0, started.stderr
        for path in (tmp_path / "new", tmp_path / "new" / "deeper", folder, folder / "logs"):
            assert path.stat().st_mode & 0o777 == 0o700, path
    finally:
        lls("--data-dir", str(folder), "service", "stop")


# ---------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (root only), unmounted at the end."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False)
    return filler


def test_a_full_disk_delays_usage_but_loses_none(
    lls: Lls, small_disk: Path, wait_for: Callable[..., float]
) -> None:
    data = small_disk / "data"
    with Store.open(data) as store:
        store.products.add("Exchange", "admin", mode=LicenseMode.PER_SEAT, limit=100_000, agreed=True)
    started = lls("--data-dir", str(data), "service", "start", "--port", "0", "--json")
    assert started.code == 0, started.stderr
    pid = started.json()["pid"]
    try:
        users: list[str] = []
        with ServiceClient(data_dir=data) as client:

            def use(prefix: str, count: int) -> None:
                for number in range(count):
                    client.request("Exchange", f"{prefix}{number:03d}-" + "x" * 40)
                    users.append(f"{prefix}{number:03d}-" + "x" * 40)

            use("before", 50)
            wait_for(lambda: client.status()["usage_not_saved_since"] is None and _saved(data) >= 50, 10)
            filler = _fill(small_disk)
            use("during", 250)
            wait_for(lambda: client.status()["failed_writes"] > 0, timeout=15)
            assert client.status()["usage_not_saved_since"]
            filler.unlink()
            use("after", 50)
            wait_for(lambda: client.status()["usage_not_saved_since"] is None, timeout=30)
            wait_for(lambda: _saved(data) >= len(users), timeout=10)
    finally:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), timeout=10)
    with Store.open(data) as store:
        saved = {row.user for row in store.clients.usage("Exchange")}
    assert saved == set(users)


def _saved(data: Path) -> int:
    connection = sqlite3.connect(f"file:{data / 'licensing.sqlite3'}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM seat_clients").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        connection.close()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_license_manager_on_a_damaged_store_says_so_and_exits(configured: Path, data_dir: Path) -> None:
    damage_table(configured, "purchases")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LLS_NO_MESSAGE_BOXES": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "manager"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "damaged" in result.stderr and "Traceback" not in result.stderr
