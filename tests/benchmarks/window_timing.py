"""Timing helpers for the benchmarks that run License Manager's window in a child process.

``test_bench_manager`` and ``test_bench_enterprise_manager`` run their window as a script (``python
tests/benchmarks/test_bench_*.py ...``), so that the figures are a fresh process's: this folder is then
the first entry of ``sys.path`` and the children import this module as ``window_timing``. It imports
PySide6, which the benchmark modules themselves only import inside their children.
"""

import time
from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer


def wait_until(predicate: Callable[[], object], timeout: float) -> None:
    """Run the event loop until ``predicate`` is true (fails with "timed out" after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not predicate() and time.monotonic() < deadline:
        QTimer.singleShot(1, loop.quit)
        loop.exec()
    assert predicate(), "timed out"


def longest_stall_ms(seconds: float, interval_ms: int = 5) -> float:
    """Run the event loop for ``seconds``: the worst lateness of an ``interval_ms`` timer, in ms.

    A timer that fires late means the UI thread was busy for that long: what a user feels as a freeze.
    """
    worst = 0.0
    clock = QElapsedTimer()
    clock.start()
    last = clock.nsecsElapsed()
    timer = QTimer()
    timer.setInterval(interval_ms)

    def tick() -> None:
        nonlocal last, worst
        now = clock.nsecsElapsed()
        worst = max(worst, (now - last) / 1e6 - interval_ms)
        last = now

    timer.timeout.connect(tick)
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    return worst
