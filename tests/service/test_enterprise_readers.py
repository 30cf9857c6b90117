"""The master's enterprise database read by License Manager on reader connections of their own, on both
engines: a small read (the Server Browser's servers, the ping) answers while a heavy one (counting a
million users) or a batch being stored holds its own thread, and sees what was committed."""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from applet.service.enterprise_worker import EnterpriseWorker
from applet.store.enterprise import views
from applet.store.enterprise.dialect import Connection, EnterpriseDatabaseError


@pytest.fixture(params=["sqlite", "postgresql"])
def worker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EnterpriseWorker]:
    location = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    enterprise = EnterpriseWorker(location, tmp_path, "MASTER", "instance-1")
    yield enterprise
    enterprise.close()


def _names(db: Connection) -> list[str]:
    return [server["name"] for server in views.servers(db)]


def test_a_light_read_answers_while_a_heavy_read_and_a_write_are_held(worker: EnterpriseWorker) -> None:
    async def scenario() -> None:
        await worker.call(lambda store: store.enroll("web-01.east.example"))
        heavy_running, write_running, release = threading.Event(), threading.Event(), threading.Event()

        def heavy(db: Connection) -> int:
            heavy_running.set()
            assert release.wait(30)
            return len(_names(db))

        def write(store: object) -> None:
            write_running.set()
            assert release.wait(30)

        counting = asyncio.ensure_future(worker.read(heavy, heavy=True))
        storing = asyncio.ensure_future(worker.call(write))
        assert await asyncio.to_thread(heavy_running.wait, 30)
        assert await asyncio.to_thread(write_running.wait, 30)
        try:
            # Before readers of their own, this waited until both were released.
            names = await asyncio.wait_for(worker.read(_names), 10)
        finally:
            release.set()
        assert names == ["MASTER", "web-01.east.example"]
        assert await counting == 2
        await storing

    asyncio.run(scenario())


def test_reads_see_what_was_committed_and_cannot_write(worker: EnterpriseWorker) -> None:
    async def scenario() -> None:
        assert await worker.read(_names) == ["MASTER"]
        assert await worker.read(views.activity) == {"servers": 1, "batches": 0, "last_replication": ""}
        await worker.call(lambda store: store.enroll("NT4SRV"))
        assert await worker.read(_names) == ["MASTER", "NT4SRV"]
        await worker.call(
            lambda store: store.db.execute(
                "UPDATE ent_servers SET batches = 3, last_replication = ? WHERE server_key = 'nt4srv'",
                ("2026-11-30T12:00:00+00:00",),
            )
        )
        assert await worker.read(views.activity, heavy=True) == {
            "servers": 2,
            "batches": 3,
            "last_replication": "2026-11-30T12:00:00+00:00",
        }
        assert await worker.read(_names, heavy=True) == ["MASTER", "NT4SRV"]
        with pytest.raises(EnterpriseDatabaseError):
            await worker.read(lambda db: db.execute("DELETE FROM ent_servers"))
        assert await worker.read(_names) == ["MASTER", "NT4SRV"]

    asyncio.run(scenario())
