"""The periodic jobs keep a fixed cadence: a slow run does not push the later ones back (the flush's
loss after a ``kill -9`` is one interval plus one commit, not plus two), an overrun is not caught up in
a burst, and a failing job keeps being run."""

import asyncio
import itertools
import logging

import pytest

from applet.service.schedule import every

INTERVAL = 0.2


async def _starts_of(job_seconds: float, runs: int, fail: bool = False) -> list[float]:
    loop = asyncio.get_running_loop()
    starts: list[float] = []
    done = asyncio.Event()

    async def job() -> None:
        starts.append(loop.time())
        if len(starts) >= runs:
            done.set()
        await asyncio.sleep(job_seconds)
        if fail:
            raise RuntimeError("the disk is full")

    task = loop.create_task(every(INTERVAL, job))
    await asyncio.wait_for(done.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return starts


def test_a_slow_job_keeps_the_cadence() -> None:
    # Each run takes 60 % of the interval; sleeping the interval after each run would space them 1.6x.
    starts = asyncio.run(_starts_of(0.6 * INTERVAL, runs=8))
    span = starts[-1] - starts[0]
    assert span < 7 * INTERVAL * 1.3, [round(b - a, 3) for a, b in itertools.pairwise(starts)]


def test_an_overrun_runs_again_at_once_without_a_burst() -> None:
    starts = asyncio.run(_starts_of(2.5 * INTERVAL, runs=4))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Each run starts as soon as the previous one ends (no sleep), never two at once to catch up.
    assert all(2.5 * INTERVAL * 0.95 <= gap < 3 * INTERVAL for gap in gaps), gaps


def test_a_failing_job_is_logged_and_run_again(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        starts = asyncio.run(_starts_of(0.0, runs=3, fail=True))
    assert len(starts) == 3
    assert "job failed: RuntimeError: the disk is full" in caplog.text
