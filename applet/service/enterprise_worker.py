"""A master's enterprise database in the running service: one writer thread and two reader threads.

Writes -- storing the batches servers send, the master's own data, enrolments -- run one at a time on
the writer thread, on the :class:`~applet.store.enterprise.EnterpriseStore` that opened (and migrated)
the database (:meth:`EnterpriseWorker.call`).

License Manager's reads (:mod:`applet.service.api.enterprise`) run on reader threads, each with a
read-only connection of its own (:meth:`EnterpriseWorker.read`), so a read never waits for a batch
being stored, nor a small read for a big one. Two lanes, as License Manager's own gateway has:

* ``light``: the ping, the servers of the Server Browser, a page, a server's products (milliseconds);
* ``heavy``: what walks every row of a filter (counting half a million users, sorting them by an
  aggregate), which takes the master a quarter of a second or more.

Before, every request ran on the writer's one thread: the Server Browser's list of servers, asked just
after the Clients tab's count, waited about 200 ms behind it at 1,000 servers and a million Per Seat
rows.

SQLite lets readers run beside the writer in WAL mode (the enterprise database's journal), each reader
seeing the last committed batch; PostgreSQL gives each connection its own snapshot per statement. Both
release the GIL while they work, so the threads really run side by side.
"""

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from applet.store.enterprise import EnterpriseStore, open_enterprise
from applet.store.enterprise.dialect import Connection, EnterpriseDatabaseError, connect, describe
from applet.store.enterprise.master import ENTERPRISE_FILE

T = TypeVar("T")
READ_LANES = ("light", "heavy")


class EnterpriseWorker:
    """The enterprise database of a master on threads of its own (see the module docstring)."""

    def __init__(self, location: str | None, data_dir: Path, self_name: str, instance: str) -> None:
        self.location = location
        self.data_dir = data_dir
        self.self_name = self_name
        self.instance = instance
        self.description = describe(location or data_dir / ENTERPRISE_FILE)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="lls-enterprise"
        )
        self._store: EnterpriseStore | None = None
        self._readers = {
            lane: concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"lls-enterprise-{lane}"
            )
            for lane in READ_LANES
        }
        # Each reader thread's connection (only that thread uses it); None until its first read.
        self._reader_connections: dict[str, Connection | None] = dict.fromkeys(READ_LANES)

    @property
    def active(self) -> bool:
        """True when this service is a master: a database named, or the SQLite default exists."""
        return self.location is not None or (self.data_dir / ENTERPRISE_FILE).exists()

    async def call(self, function: Callable[[EnterpriseStore], T]) -> T:
        """Run ``function(store)`` on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(self._open()))

    async def read(self, function: Callable[[Connection], T], heavy: bool = False) -> T:
        """Run ``function(db)`` on a reader thread's read-only connection: the ``heavy`` lane for what
        walks every row of a filter, the ``light`` lane for everything else."""
        if self._store is None:
            # The writer opens the database first: it creates and migrates it, readers only read.
            await self.call(lambda store: None)
        lane = "heavy" if heavy else "light"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers[lane], lambda: self._read_on(lane, function))

    def _open(self) -> EnterpriseStore:
        if self._store is None:
            self._store = open_enterprise(self.location, self.data_dir, self.self_name, self.instance)
        return self._store

    def _read_on(self, lane: str, function: Callable[[Connection], T]) -> T:
        """On ``lane``'s thread: its connection (opened on first use, read-only), then ``function``."""
        connection = self._reader_connections[lane]
        if connection is None:
            connection = connect(self.location or self.data_dir / ENTERPRISE_FILE)
            try:
                connection.make_read_only()
            except BaseException:
                connection.close()
                raise
            self._reader_connections[lane] = connection
        try:
            return function(connection)
        except EnterpriseDatabaseError:
            # A lost PostgreSQL connection stays lost: the next read connects again.
            self._reader_connections[lane] = None
            connection.close()
            raise

    def close(self) -> None:
        """Close the connections and stop the threads."""

        def close_store() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        def close_reader(lane: str) -> None:
            connection = self._reader_connections[lane]
            self._reader_connections[lane] = None
            if connection is not None:
                connection.close()

        try:
            for lane, reader in self._readers.items():
                reader.submit(close_reader, lane)
                reader.shutdown(wait=True)  # after a read still running, then the close
            self._executor.submit(close_store).result()
        finally:
            self._executor.shutdown(wait=True)
