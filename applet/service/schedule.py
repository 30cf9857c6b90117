"""The service's periodic jobs (flush, configuration poll, observers, replication): one way to repeat one.

A job runs on a fixed cadence: it is due every ``interval`` seconds from the previous due time, not
``interval`` seconds after the previous run ended. The flush depends on it: a ``kill -9`` loses what
arrived since the last batch the store committed, so a commit that takes 0.4 s on a busy machine must
not push every later batch 0.4 s further away (that loss was 1 s + two commits; it is now 1 s + one).
A job that overruns its interval runs again at once, once: missed runs are not caught up in a burst.
"""

import asyncio
from collections.abc import Awaitable, Callable

from applet.service.logs import service_logger

log = service_logger(__name__)


async def every(interval: float, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job`` every ``interval`` seconds on the running loop until cancelled; log its failures."""
    loop = asyncio.get_running_loop()
    due = loop.time() + interval
    while True:
        await asyncio.sleep(max(0.0, due - loop.time()))
        due += interval
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # keep serving: a failing loop must not take the service down
            log.error("%s failed: %s: %s", getattr(job, "__name__", "job"), type(error).__name__, error)
        due = max(due, loop.time())
