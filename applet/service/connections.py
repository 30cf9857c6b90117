"""A cap on open connections, so idle sockets cannot exhaust the service's file descriptors.

Every accepted connection costs a file descriptor. Without a cap, about a thousand connections that
send nothing exhaust a 1,024 open-files limit and then nobody can connect, not even the owner. The
:class:`ConnectionGuard` wraps aiohttp's protocol factory and keeps the number of open connections at
or below the cap (well under the files limit):

* a new connection beyond the cap first closes the oldest connection that is idle (no request being
  handled: nothing sent yet, an incomplete header, or kept alive between requests), so that idle
  sockets can never lock legitimate clients out;
* when every connection is busy with a request, the new one is refused at once (closed unanswered).

Idle connections are also closed by aiohttp after the header/keep-alive timeout (10 s by default, see
:mod:`applet.service.runner`).
"""

import asyncio
from collections.abc import Callable

DEFAULT_CAP = 4096


def default_cap(open_files_limit: int) -> int:
    """Half the files limit (the store, logs and sockets to peers need the rest), at most 4,096."""
    return max(16, min(DEFAULT_CAP, open_files_limit // 2))


class ConnectionGuard:
    """A protocol factory for ``loop.create_server`` that enforces the cap; see the module docstring."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], cap: int) -> None:
        self._factory = factory
        self.cap = cap
        # Insertion order is age: the first idle one found is the oldest.
        self._open: dict[GuardedProtocol, None] = {}
        self.refused = 0
        self.evicted = 0

    def __call__(self) -> "GuardedProtocol":
        return GuardedProtocol(self, self._factory())

    @property
    def open(self) -> int:
        """Connections open now."""
        return len(self._open)

    def admit(self, protocol: "GuardedProtocol") -> bool:
        """Make room for a new connection, or say it must be refused."""
        if len(self._open) >= self.cap:
            victim = next((candidate for candidate in self._open if candidate.idle), None)
            if victim is None:
                self.refused += 1
                return False
            self.evicted += 1
            victim.close_now()
        self._open[protocol] = None
        return True

    def release(self, protocol: "GuardedProtocol") -> None:
        """Forget a closed connection."""
        self._open.pop(protocol, None)

    def as_dict(self) -> dict[str, int]:
        """For the status document."""
        return {
            "connections": len(self._open),
            "max_connections": self.cap,
            "connections_refused": self.refused,
            "idle_connections_closed": self.evicted,
        }


class GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol for one connection, admitted (or refused) by the guard."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self._transport: asyncio.BaseTransport | None = None
        self._admitted = False

    @property
    def idle(self) -> bool:
        """No request is being handled on this connection.

        aiohttp keeps that in a private attribute; should it ever disappear, every connection counts
        as busy, and a connection beyond the cap is refused instead of replacing an idle one.
        """
        return getattr(self._inner, "_request_in_progress", True) is False

    def close_now(self) -> None:
        """Drop the connection (it is idle: nothing is lost) and forget it."""
        self._guard.release(self)
        if self._transport is not None:
            self._transport.abort()  # type: ignore[attr-defined]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        if not self._guard.admit(self):
            transport.abort()  # type: ignore[attr-defined]
            return
        self._admitted = True
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.release(self)
        self._transport = None
        if self._admitted:
            self._admitted = False
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._admitted:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self._inner.resume_writing()
