"""Running the service: lock, tokens, store worker, broker, API, observers and the periodic loops.

Start-up order matters: take the store's lock first (one service per store), open the store, load
the configuration, start listening, and only then publish the endpoint file, so a client that finds
the file can talk to the service. Shutdown reverses it; the last batch is written before the store
closes. A ``kill -9`` skips all that: the lock dies with the process, the endpoint file is recognised
as stale (its port does not answer), and at most about one flush interval of usage is lost.
"""

import asyncio
import contextlib
import os
import signal
import ssl
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from applet import __version__
from applet.domain.events import EventId
from applet.service import logs
from applet.service.api import build_app
from applet.service.broker import Broker, ConfigSnapshot
from applet.service.connections import ConnectionGuard, default_cap
from applet.service.lock import InstanceLock
from applet.service.logs import service_logger
from applet.service.observers import ObserverUnavailable, logged_in_sessions, tcp_clients
from applet.service.replication import Replication
from applet.service.schedule import every
from applet.service.settings import (
    SETTING_EXPIRY,
    SETTING_HEARTBEAT,
    SETTING_VIOLATION_INTERVAL,
    ServiceSettings,
)
from applet.service.sinks import SinkFanout, platform_sinks
from applet.service.tokens import Tokens, load_tokens
from applet.service.worker import StoreWorker
from applet.store.endpoint import ServiceEndpoint, read_endpoint, write_endpoint
from applet.store.paths import DataPaths, make_private_folder

log = service_logger(__name__)

# LLS_EVENT_LOOP=asyncio runs the service on asyncio's own event loop instead of uvloop.
EVENT_LOOP_VARIABLE = "LLS_EVENT_LOOP"
TCP_SOURCE = "tcp"
SESSION_SOURCE = "sessions"


def connect_host(host: str) -> str:
    """The address a local client uses to reach a service bound to ``host``."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def url_for(host: str, port: int, tls: bool) -> str:
    """``http(s)://host:port`` with IPv6 addresses in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


class Service:
    """One running License Logging service; see the module docstring."""

    def __init__(self, paths: DataPaths, settings: ServiceSettings, explicit: set[str] | None = None) -> None:
        self.paths = paths
        self.settings = settings
        self._explicit = explicit if explicit is not None else set()
        self.lock = InstanceLock(paths.service_lock)
        self.worker: StoreWorker
        self.replication: Replication
        self.broker: Broker
        self.tokens: Tokens
        self.endpoint: ServiceEndpoint | None = None
        self.started = ""
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self.guard: ConnectionGuard | None = None
        self.accept_failures = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._reload_lock = asyncio.Lock()
        self._unavailable: set[str] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> ServiceEndpoint:
        """Lock, load, listen, publish. Raises ``AlreadyRunning``, ``StoreError``, ``OSError``."""
        self.lock.acquire()
        try:
            return await self._start_locked()
        except BaseException:
            await self._close_resources()
            raise

    async def _start_locked(self) -> ServiceEndpoint:
        self.worker = StoreWorker(self.paths, SinkFanout(platform_sinks(self.settings.foreground)))
        stored = await self.worker.call(
            lambda store: {
                key: store.setting(key)
                for key in (SETTING_HEARTBEAT, SETTING_EXPIRY, SETTING_VIOLATION_INTERVAL)
            }
        )
        self.settings = self.settings.with_store_settings(stored, self._explicit)
        self.settings.check()
        self.tokens = load_tokens(self.paths.tokens_dir)
        logs.configure_secrets([self.tokens.client, self.tokens.admin])
        self.broker = Broker(
            self.settings.lease_expiry, self.settings.violation_interval, caps=self.settings.lease_caps
        )
        snapshot = await self.worker.call(StoreWorker.snapshot)
        self.broker.apply(snapshot, time.monotonic(), announce=False)

        self.replication = Replication(self)
        await self.replication.start()
        # After the enterprise database answered (a wrong URL stops the start, changing nothing).
        if self.settings.configured_replication:
            # The configuration file's [replication] keys become the store's settings (what the
            # Replication dialog and `lls replication show` then show), recorded as its change.
            configured = dict(self.settings.configured_replication)
            source = self.settings.configuration_file
            if await self.worker.call(lambda store: store.replication.apply_configured(configured, source)):
                log.info("replication settings taken from %s", source)
        app = build_app(self)
        # Shutdown must not wait on clients: at most 2 s for requests in progress, and a body the
        # service did not read (a refused request) is drained for at most 1 s, not aiohttp's 10 s.
        # A connection without a complete request header (or idle between requests) for
        # header_timeout seconds is closed (aiohttp arms its keep-alive timer at connect).
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=2.0,
            lingering_time=1.0,
            keepalive_timeout=self.settings.header_timeout,
        )
        await self._runner.setup()
        ssl_context = None
        if self.settings.tls:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(str(self.settings.tls_cert), str(self.settings.tls_key))
        assert self._runner.server is not None
        cap = self.settings.max_connections or default_cap(open_files_limit())
        self.guard = ConnectionGuard(self._runner.server, cap)
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_error)
        self._server = await loop.create_server(
            self.guard, self.settings.host, self.settings.port, ssl=ssl_context, backlog=1024
        )
        port = int(self._server.sockets[0].getsockname()[1])  # the real port when 0 (ephemeral) was asked
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        host = connect_host(self.settings.host)
        self.endpoint = ServiceEndpoint(
            pid=os.getpid(),
            host=self.settings.host,
            port=port,
            url=url_for(host, port, self.settings.tls),
            tls=self.settings.tls,
            client_token_file=self.tokens.client_file,
            admin_token_file=self.tokens.admin_file,
            started=self.started,
            tls_cert_file=self.settings.tls_cert.absolute() if self.settings.tls_cert else None,
        )
        self.broker.emit(EventId.SERVICE_STARTED, ())
        # Event 230 is in the store before clients can find the service: reads run on their own thread,
        # so a client that reads the events at once must not see them without it.
        await self.flush(force=True)
        write_endpoint(self.paths, self.endpoint)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(every(self.settings.config_poll, self._tick), name="tick"),
            loop.create_task(every(self.settings.flush_interval, self.flush), name="flush"),
            loop.create_task(every(self.settings.observe_interval, self._observe), name="observe"),
            *self.replication.tasks(loop),
        ]
        return self.endpoint

    def request_stop(self) -> None:
        """Ask :meth:`run_until_stopped` to return (signal handlers, the shutdown route)."""
        self._stop.set()

    async def run_until_stopped(self) -> None:
        """Serve until :meth:`request_stop`, then shut down cleanly."""
        await self._stop.wait()
        await self.stop()

    async def stop(self) -> None:
        """Stop listening, log event 231, write the last batch, unpublish, unlock."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._close_listener()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.broker.emit(EventId.SERVICE_STOPPED, ())
        await self.flush(force=True)
        logs.report_suppressed(everything=True)
        await self._close_resources()

    async def _close_resources(self) -> None:
        if self.endpoint is not None:
            current = read_endpoint(self.paths)
            if current is not None and current.pid == os.getpid():
                with contextlib.suppress(OSError):
                    self.paths.endpoint.unlink()
            self.endpoint = None
        self._close_listener()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if hasattr(self, "replication"):
            self.replication.close()
        if hasattr(self, "worker"):
            self.worker.close()
        self.lock.release()

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The event loop's errors: counted, one line each, at most one line a second (logs module)."""
        message = str(context.get("message", "event loop error"))
        error = context.get("exception")
        if "accept" in message:
            # Out of file descriptors (EMFILE): asyncio pauses accepting for a second by itself.
            self.accept_failures += 1
            log.warning("cannot accept connections (%s failures so far): %s", self.accept_failures, error)
        else:
            log.error("%s: %s", message, error)

    # ------------------------------------------------------------------ periodic work

    async def _tick(self) -> None:
        logs.report_suppressed()
        self.broker.expire(time.monotonic())
        self.broker.check_violations(time.monotonic())  # standing violations repeat by this timer
        revision = await self.worker.call(lambda store: store.config_revision())
        if revision != self.broker.revision:
            await self.reload()

    async def reload(self) -> None:
        """Write pending usage, re-read the configuration and apply it (event 232 per change)."""
        async with self._reload_lock:
            batch = self.broker.take_batch()

            def write_and_read(store: Any) -> ConfigSnapshot:
                self.worker.write(store, batch)
                return StoreWorker.read_head(store)

            head = await self.worker.call(write_and_read)
            # Decided here, on the loop thread that owns the broker; only those users are read.
            wanted = self.broker.seats_to_load(head)
            seats = await self.worker.call(lambda store: store.clients.seat_users(wanted)) if wanted else {}
            self.broker.apply(replace(head, seats=seats), time.monotonic())

    async def flush(self, force: bool = False) -> None:
        """Persist what the broker collected since the last flush (``force``: even while backing off)."""
        batch = self.broker.take_batch()
        await self.worker.call(lambda store: self.worker.write(store, batch, force))

    async def _observe(self) -> None:
        now_products = self.broker.products
        tcp = {p.product_id: p.observe_tcp_port for p in now_products if p.observe_tcp_port}
        sessions = [p.product_id for p in now_products if p.observe_sessions]
        self.broker.drop_observed(TCP_SOURCE, set(tcp))
        self.broker.drop_observed(SESSION_SOURCE, set(sessions))
        for product_id, port in tcp.items():
            assert port is not None
            addresses = await self._observation(TCP_SOURCE, tcp_clients, port)
            if addresses is not None:
                self.broker.sync_observed(
                    TCP_SOURCE, product_id, [(a, a) for a in addresses], time.monotonic()
                )
        if sessions:
            present = await self._observation(SESSION_SOURCE, logged_in_sessions)
            if present is not None:
                for product_id in sessions:
                    self.broker.sync_observed(SESSION_SOURCE, product_id, present, time.monotonic())

    async def _observation(self, source: str, function: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(function, *args)
        except (ObserverUnavailable, OSError) as error:
            if source not in self._unavailable:
                self._unavailable.add(source)
                log.warning("cannot observe %s: %s", source, error)
            return None

    # ------------------------------------------------------------------ reporting

    def status(self) -> dict[str, Any]:
        """What ``GET /v1/status`` and ``lls service status`` show."""
        return {
            "status": "running",
            "version": __version__,
            "pid": os.getpid(),
            "started": self.started,
            "url": self.endpoint.url if self.endpoint else None,
            "data_dir": str(self.paths.data_dir),
            "config_revision": self.broker.revision,
            "leases": self.broker.lease_count,
            "products": len(self.broker.products),
            "heartbeat_seconds": self.settings.heartbeat,
            "lease_expiry_seconds": self.settings.lease_expiry,
            "max_lease_seconds": self.settings.max_lease_seconds,
            "max_leases": self.settings.max_leases,
            "max_leases_per_client": self.settings.max_leases_per_client,
            "violation_interval_seconds": self.settings.violation_interval,
            "tls": self.settings.tls,
            "failed_writes": self.worker.failed_writes,
            "usage_not_saved_since": self.worker.unsaved_since,
            "accept_failures": self.accept_failures,
            "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
            **(self.guard.as_dict() if self.guard is not None else {}),
        }


def open_files_limit() -> int:
    """The soft limit on open files (a large number where there is none)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return 1 << 16
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def raise_open_files_limit() -> None:
    """Raise the soft open-files limit to the hard one (systemd's soft default is only 1,024)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError) as error:
        log.warning("cannot raise the open-files limit from %s to %s: %s", soft, wanted, error)


def prepare_process(paths: DataPaths, settings: ServiceSettings) -> None:
    """Owner-only files, the log (rotated file in the background, stderr in the foreground), limits."""
    os.umask(0o077)
    # The event loop shares the interpreter with the store threads: hand it the GIL back within 1 ms
    # (not Python's default 5 ms), so a large read never holds up license requests for long.
    sys.setswitchinterval(0.001)
    make_private_folder(paths.log_dir)
    logs.configure(None if settings.foreground else paths.log_dir)
    raise_open_files_limit()


async def serve(paths: DataPaths, settings: ServiceSettings, explicit: set[str] | None = None) -> None:
    """Run the service until SIGINT/SIGTERM (or the shutdown route)."""
    service = Service(paths, settings, explicit)
    loop = asyncio.get_running_loop()
    # Before start: a SIGTERM that arrives as soon as the endpoint file appears still stops cleanly.
    for name in ("SIGINT", "SIGTERM"):
        signum = getattr(signal, name, None)
        if signum is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows event loops
                loop.add_signal_handler(signum, service.request_stop)
    await service.start()
    if service.endpoint is not None:
        log.info("listening on %s (pid %s)", service.endpoint.url, os.getpid())
    await service.run_until_stopped()


def run_service(paths: DataPaths, settings: ServiceSettings, explicit: set[str] | None = None) -> None:
    """Blocking entry point of ``lls service run``."""
    prepare_process(paths, settings)
    try:
        if os.environ.get(EVENT_LOOP_VARIABLE) == "asyncio":
            raise ImportError("asyncio's own loop was asked for")
        import uvloop  # not on Windows: see pyproject.toml
    except ImportError:
        asyncio.run(serve(paths, settings, explicit))
    else:
        # About 1.5x the requests per second of asyncio's loop. On EMFILE libuv sheds the connections
        # it cannot accept by itself (closed at once, nothing for us to count or log).
        uvloop.run(serve(paths, settings, explicit))
