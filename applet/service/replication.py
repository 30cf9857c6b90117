"""Replication in the running service: sending batches to the master, and receiving them as one.

Sending: a loop reads the Configure Replication settings from the store (changes apply without a
restart), works out the next run (:func:`applet.domain.replication.next_run`: Start At plus this server's
offset of up to 15 minutes, or Start Every; after a failure a retry every 15 minutes, ``--replication-retry``
for tests) and sends batch after batch (:mod:`applet.store.outbox`) until the master has everything.
In Domain Controller mode the master is looked up at each attempt (:mod:`applet.store.master_lookup`:
the domain's master in configuration, else DNS SRV ``_licensing._tcp.<domain>``), so a changed record
applies at the next run.
Any failure -- the master unreachable, a refusal -- is event 213 and one line in the service log; the
saved batch waits for the next attempt, so nothing is lost.

Receiving: ``POST /v1/replication/batches`` (the server's secret as bearer token, the batch as body, up to
16 MiB) stores the batch in the enterprise database on its own thread and answers
``{"acknowledged", "master", "chain"}``. Refusals: 401 (not enrolled, revoked, wrong secret), 409 (a
sequence gap, another server's origin, a replication loop), 400 (malformed, from the future), 413 (too
large); each is logged and nothing is stored. Event 201 for users the enterprise pool cannot license and
221 when a pool is over, throttled like a server's own.

The master's own license data enters its enterprise database every few seconds through the same batches
(with no network), so the enterprise reports include the master itself; with a shared PostgreSQL each
instance enters its own (see :meth:`Replication.ingest_own`). A master with a master of its own
forwards what its servers replicated to it (:mod:`applet.store.enterprise.forward`).

Admin routes: ``POST /v1/admin/replication/now`` (replicate now, answer what was sent) and
``GET /v1/admin/enterprise/products``, ``/clients``, ``/servers``, ``/report``.
"""

import asyncio
import contextlib
import json
import logging
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from applet.domain.errors import InvalidInput, LicensingError
from applet.domain.events import EventId
from applet.domain.replication import MasterAddress, is_loopback, next_run, parse_master_address
from applet.service.enterprise_worker import EnterpriseWorker
from applet.service.schedule import every
from applet.service.tokens import Role
from applet.store import Store
from applet.store.enterprise import EnterpriseStore, ReplicationRefused
from applet.store.enterprise.batch import MAX_BATCH_BYTES, MAX_BATCH_ROWS, Batch, parse_batch
from applet.store.enterprise.compliance import enterprise_compliance
from applet.store.enterprise.decode import decode_batch
from applet.store.enterprise.dialect import EnterpriseDatabaseError
from applet.store.enterprise.forward import forward_rows
from applet.store.enterprise.master import NotAuthorized
from applet.store.enterprise.pools import IngestResult
from applet.store.master_lookup import MasterNotConfigured, MasterNotFound, find_domain_master
from applet.store.outbox import (
    REMOTE,
    ROWS_PER_KIND,
    SELF,
    acknowledge,
    batch_rows,
    forwarded_marks,
    instance_id,
    prepare_batch,
    prepare_forward_batch,
    read_token,
    record_failure,
    replication_schedule,
    sender_state,
    server_identity,
)
from applet.store.replication import SETTING_CA_FILE, SETTING_DOMAIN, SETTING_DOMAIN_MASTER

if TYPE_CHECKING:
    from applet.service.runner import Service

log = logging.getLogger("applet.service.replication")
SEND_TIMEOUT = 60.0
SELF_INTERVAL = 2.0
# A bound on one run, so data that keeps changing cannot keep it going; the rest goes the next time.
MAX_BATCHES_PER_RUN = 10_000


class ReplicationFailed(Exception):
    """One attempt failed; the message says why (for the log, the status and event 213).

    ``status`` is the HTTP status ``POST /v1/admin/replication/now`` answers: 502, the master (or the DNS
    servers asked for it) did not answer or refused; 409 (:class:`ReplicationNotConfigured`), nothing was
    tried: no master is configured, there is no domain to look it up in, or no enrolment token.
    """

    status = 502

    def __init__(self, message: str, master: str = "") -> None:
        super().__init__(message)
        self.master = master


class ReplicationNotConfigured(ReplicationFailed):
    """No master to send to (none configured, no domain to look one up in) or no enrolment token."""

    status = 409


class Replication:
    """Both directions of replication for one service (see the module docstring)."""

    def __init__(self, service: "Service") -> None:
        self.service = service
        paths = service.paths
        self.identity = service.worker.call_blocking(lambda store: server_identity(store, paths))
        instance = service.worker.call_blocking(instance_id)
        self.enterprise = EnterpriseWorker(
            service.settings.enterprise_database, paths.data_dir, self.identity, instance
        )
        self._send_lock = asyncio.Lock()
        # The periodic job and `lls replication now` both enter the master's own data: one at a time.
        self._own_lock = asyncio.Lock()

    def tasks(self, loop: asyncio.AbstractEventLoop) -> list["asyncio.Task[None]"]:
        """The periodic jobs: the scheduled sender and the master's own data."""
        return [
            loop.create_task(every(self.service.settings.replication_poll, self.scheduled), name="replicate"),
            loop.create_task(every(SELF_INTERVAL, self.ingest_own), name="replicate-self"),
        ]

    async def start(self) -> None:
        """A master on PostgreSQL connects (and migrates) at start, so a wrong URL stops the service."""
        if self.service.settings.enterprise_database is not None:
            await self.enterprise.call(lambda store: None)

    def close(self) -> None:
        """Close the enterprise database."""
        self.enterprise.close()

    # ------------------------------------------------------------------ sending

    async def scheduled(self) -> None:
        """Replicate when the schedule says so."""
        schedule = await self.service.worker.call(replication_schedule)
        if schedule is None:
            return
        settings, every_seconds, state = schedule
        now = datetime.now(UTC).astimezone()
        due = next_run(
            now,
            settings.frequency,
            settings.start_at,
            every_seconds,
            _moment(state.last_success),
            _moment(state.last_failure),
            self.identity,
            self.service.settings.replication_retry,
        )
        if now >= due:
            # A failure is logged, recorded and event 213; the schedule retries.
            with contextlib.suppress(ReplicationFailed):
                await self.replicate_now()

    async def replicate_now(self) -> dict[str, Any]:
        """Send every pending batch to the master; what was sent. Raises :class:`ReplicationFailed`.

        On a master, its own data enters its enterprise database first, so that after "now" its pool
        counts every use made here until then, not only those of the last periodic run.
        """
        # The periodic job enters it again in SELF_INTERVAL when this fails; sending must not wait.
        await self.ingest_own_now()
        async with self._send_lock:
            master = ""
            try:
                addresses, found_by = await self._masters()
                master = str(addresses[0])
                token = read_token(self.service.paths)
                if token is None:
                    raise ReplicationNotConfigured(
                        f"no enrolment token for {master}: lls replication set ... --token-file F", master
                    )
                failures: list[str] = []
                # Several masters only from DNS SRV: tried in RFC 2782 order, the next when one fails.
                for address in addresses:
                    try:
                        sent = await self._send_all(address.host, address.authority, token)
                    except ReplicationFailed as failure:
                        failures.append(str(failure))
                        continue
                    return {**sent, "found_by": found_by or None}
                raise ReplicationFailed("; ".join(failures), ", ".join(map(str, addresses)))
            except MasterNotFound as error:
                failed = (
                    ReplicationNotConfigured if isinstance(error, MasterNotConfigured) else ReplicationFailed
                )
                wrapped = failed(f"no master found: {error}", "the domain's master")
                await self._failed(wrapped)
                raise wrapped from error
            except ReplicationFailed as failure:
                failure.master = failure.master or master
                await self._failed(failure)
                raise
            except (InvalidInput, OSError) as error:
                wrapped = ReplicationFailed(str(error), master)
                await self._failed(wrapped)
                raise wrapped from error

    async def _masters(self) -> tuple[list[MasterAddress], str]:
        """Where to send, and how the master was found ("" for the Enterprise Server setting): the
        Enterprise Server, or the domain's master (configuration, else DNS SRV)."""
        settings = await self.service.worker.call(lambda store: store.replication.get())
        if settings.master == "enterprise-server":
            return [parse_master_address(settings.enterprise_server)], ""
        configured, domain = await self.service.worker.call(
            lambda store: (store.setting(SETTING_DOMAIN_MASTER), store.setting(SETTING_DOMAIN))
        )
        # A DNS query waits for its answer: on a thread of its own, not the event loop's.
        found = await asyncio.to_thread(find_domain_master, configured, domain)
        return list(found.addresses), found.found_by

    async def _send_all(self, host: str, authority: str, token: tuple[str, str]) -> dict[str, Any]:
        server, secret = token
        scheme = "http" if is_loopback(host) else "https"
        url = f"{scheme}://{authority}/v1/replication/batches"
        ssl_context = await self.service.worker.call(_client_ssl) if scheme == "https" else None
        sent: list[dict[str, Any]] = []
        timeout = ClientTimeout(total=SEND_TIMEOUT)
        async with ClientSession(timeout=timeout) as session:
            # Until nothing is left: this server's own data first, then what it forwards as a master.
            for _batch in range(MAX_BATCHES_PER_RUN):
                document = await self.service.worker.call(lambda store: prepare_batch(store, server))
                if document is None:
                    document = await self._forward_batch(server)
                if document is None:
                    break
                answer = await self._post(session, url, secret, document, ssl_context, host)
                seq = int(document["seq"])
                acknowledged = answer.get("acknowledged")
                chain = answer.get("chain")
                if not isinstance(acknowledged, int) or acknowledged < seq or not isinstance(chain, list):
                    raise ReplicationFailed(
                        f"the master at {authority} answered without acknowledging batch {seq}"
                    )
                await self.service.worker.call(_acknowledge(REMOTE, seq, acknowledged, chain))
                sent.append({"seq": seq, "rows": batch_rows(document)})
        return {"master": authority, "server": server, "batches": sent}

    async def _forward_batch(self, server: str) -> dict[str, Any] | None:
        """On a master with a master: the next upward batch of its servers' rows, or None."""
        if not self.enterprise.active:
            return None
        marks = await self.service.worker.call(forwarded_marks)
        rows, after = await self.enterprise.call(
            lambda store: forward_rows(store.db, store.self_key, marks, MAX_BATCH_ROWS)
        )
        if not rows:
            return None
        return await self.service.worker.call(lambda store: prepare_forward_batch(store, server, rows, after))

    async def _post(
        self,
        session: ClientSession,
        url: str,
        secret: str,
        document: dict[str, Any],
        ssl_context: ssl.SSLContext | None,
        host: str,
    ) -> dict[str, Any]:
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        try:
            async with session.post(url, data=body, headers=headers, ssl=ssl_context or True) as response:
                text = await response.text()
                try:
                    answer = json.loads(text)
                except ValueError:
                    answer = {"error": text[:200]}
                if response.status != 200:
                    reason = answer.get("error") if isinstance(answer, dict) else None
                    raise ReplicationFailed(
                        f"the master refused batch {document['seq']} ({response.status}: {reason})"
                    )
                if not isinstance(answer, dict):
                    raise ReplicationFailed("the master's answer is not a JSON object")
                return answer
        except (TimeoutError, ClientError, OSError) as error:
            raise ReplicationFailed(f"could not contact {host}: {type(error).__name__}: {error}") from error

    async def _failed(self, failure: ReplicationFailed) -> None:
        reason = " ".join(str(failure).split())
        log.warning("lls service: replication failed: %s", reason)
        await self.service.worker.call(lambda store: record_failure(store, reason))
        self.service.broker.emit(EventId.REPLICATION_FAILED, [failure.master or "(none)"])

    # ------------------------------------------------------------------ the master's own data

    async def ingest_own(self) -> None:
        """On a master: enter this server's own changes into the enterprise database.

        Also with a shared PostgreSQL: each instance enters its own data under its own name (see
        :meth:`EnterpriseStore._ensure_self`), so every master that is also a server counts its users.
        """
        if not self.enterprise.active:
            return
        async with self._own_lock:
            await self._ingest_own_batches()

    async def ingest_own_now(self) -> None:
        """:meth:`ingest_own` after an administrator's change, which is written whatever happens here:
        a failure is logged, and the periodic job enters the change within ``SELF_INTERVAL``."""
        try:
            await self.ingest_own()
        except Exception:
            log.exception("lls service: this master's own data could not enter its enterprise database")

    async def _ingest_own_batches(self) -> None:
        name = await self.enterprise.call(lambda store: store.self_name)
        while True:
            document = await self.service.worker.call(lambda store: prepare_batch(store, name, SELF))
            if document is None:
                return
            result = await self.enterprise.call(_ingest_own(parse_batch(document)))
            await self.service.worker.call(_acknowledge(SELF, result.seq, result.acknowledged, []))
            self._pool_events(result)
            if max(batch_rows(document).values()) < ROWS_PER_KIND:
                return

    # ------------------------------------------------------------------ receiving

    async def receive(self, request: web.Request) -> web.Response:
        """``POST /v1/replication/batches``."""
        from applet.service.api.http import error_reply, reply

        secret = _bearer(request)
        try:
            body = await _read_limited(request, MAX_BATCH_BYTES)
        except ValueError as error:
            log.warning("lls service: replication batch refused: %s", error)
            return error_reply(413, str(error))
        server = "?"
        try:
            try:
                batch = decode_batch(body)
            except (ValueError, RecursionError, LicensingError):
                server = _claimed_server(body)
                raise
            server = batch.server
            chain = await self.service.worker.call(lambda store: sender_state(store, REMOTE).master_chain)
            if batch.server.casefold() in {name.casefold() for name in chain}:
                raise ReplicationRefused(
                    f"replication loop: {batch.server} replicates to this master, which replicates to "
                    f"{batch.server} (through {' -> '.join(chain)})"
                )
            if secret is None:
                raise NotAuthorized("missing secret (Authorization: Bearer <the server's secret>)")
            if not self.enterprise.active:
                # Not a master yet: a stray batch must not create the enterprise database.
                raise NotAuthorized(
                    f"server {batch.server} is not enrolled: this server has no enrolled servers"
                )
            result = await self.enterprise.call(lambda store: store.ingest(batch, secret))
        except (ValueError, RecursionError, LicensingError) as error:
            message = str(error) if isinstance(error, LicensingError) else "the batch is not valid JSON"
            return await self._refused(server, 400, message)
        except ReplicationRefused as error:
            return await self._refused(server, error.status, str(error))
        except EnterpriseDatabaseError as error:
            log.warning("lls service: enterprise database unavailable: %s", error)
            return error_reply(503, f"the enterprise database is unavailable: {error}")
        self._pool_events(result)
        own_chain = await self.service.worker.call(lambda store: sender_state(store, REMOTE).master_chain)
        return reply(
            {
                "acknowledged": result.acknowledged,
                "duplicate": result.duplicate,
                "rows": result.rows,
                "master": self.identity,
                "chain": [self.identity, *own_chain],
            }
        )

    async def _refused(self, server: str, status: int, message: str) -> web.Response:
        from applet.service.api.http import error_reply

        log.warning("lls service: replication batch from %s refused (%s): %s", server, status, message)
        if server != "?" and self.enterprise.active:
            with contextlib.suppress(EnterpriseDatabaseError):
                await self.enterprise.call(lambda store: store.record_refusal(server, message))
        return error_reply(status, message)

    def _pool_events(self, result: IngestResult) -> None:
        broker = self.service.broker
        now = time.monotonic()
        for product, users in result.unlicensed.items():
            if broker.throttle.allow(EventId.NO_LICENSE, product.casefold(), now):
                broker.emit(EventId.NO_LICENSE, [users[0], product], product)
        for product, (in_use, purchased) in result.over.items():
            if broker.throttle.allow(EventId.OVER_LICENSED, product.casefold(), now):
                broker.emit(EventId.OVER_LICENSED, [in_use, product, purchased], product)


def _claimed_server(body: bytes) -> str:
    """The server a refused body names, for the log and the refusal record ("?" when none)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return "?"
    return str(document.get("server", "?")) if isinstance(document, dict) else "?"


# Loop bodies hand these to the worker threads: each binds its values, not the loop's variables.


def _ingest_own(batch: Batch) -> Callable[[EnterpriseStore], IngestResult]:
    return lambda store: store.ingest(batch, None)


def _acknowledge(prefix: str, seq: int, acknowledged: int, chain: list[Any]) -> Callable[[Store], None]:
    names = [str(name) for name in chain]
    return lambda store: acknowledge(store, seq, acknowledged, names, prefix)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone() if text else None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def _read_limited(request: web.Request, limit: int) -> bytes:
    # Read the stream directly: the API's 64 KiB body limit is for everything else.
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise ValueError(f"a batch must be at most {limit // (1024 * 1024)} MiB")
        parts.append(chunk)
    return b"".join(parts)


def _client_ssl(store: Store) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca_file = store.setting(SETTING_CA_FILE)
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


# ---------------------------------------------------------------------------- routes


def _replication(request: web.Request) -> Replication:
    from applet.service.api.http import SERVICE

    return request.app[SERVICE].replication


async def receive_batch(request: web.Request) -> web.Response:
    return await _replication(request).receive(request)


async def replicate_now(request: web.Request) -> web.Response:
    from applet.service.api.http import error_reply, reply, require_role

    require_role(request, Role.ADMIN)
    await request.read()
    try:
        return reply(await _replication(request).replicate_now())
    except ReplicationFailed as failure:
        return error_reply(failure.status, f"replication failed: {failure}")


async def enterprise_report(request: web.Request) -> web.Response:
    from applet.service.api.http import error_reply, limit_query, reply, require_role

    require_role(request, Role.ADMIN)
    which = request.match_info["which"]
    enterprise = _replication(request).enterprise
    wanted = request.query.get("database")
    if wanted is not None and wanted != enterprise.description:
        return error_reply(409, f"this service keeps its enterprise data in {enterprise.description}")
    product = request.query.get("product")
    server = request.query.get("server")
    limit = limit_query(request)
    readers: dict[str, Callable[[EnterpriseStore], Any]] = {
        "products": lambda store: store.products() if server is None else store.server_products(server),
        "clients": lambda store: store.clients(product, limit),
        "servers": lambda store: store.servers(),
        "report": lambda store: enterprise_compliance(store.db),
    }
    if which not in readers:
        raise web.HTTPNotFound()
    return reply(await enterprise.call(readers[which]))


def add_routes(app: web.Application) -> None:
    """Register the replication routes on the service's application."""
    app.router.add_post("/v1/replication/batches", receive_batch)
    app.router.add_post("/v1/admin/replication/now", replicate_now)
    app.router.add_get("/v1/admin/enterprise/{which}", enterprise_report)
