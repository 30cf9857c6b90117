"""The Windows build under Wine: ``licensing.exe --self-test`` start to first paint against
``lls.exe --version`` in the same run, and the size of the Windows folder.

Run after building it (packaging/windows/smoke-under-wine.sh does both)::

    LLS_WINE_FROZEN_DIR=dist/windows/Licensing \\
        python -m pytest tests/benchmarks/test_bench_wine.py -m benchmark -s

Both programs run under one Wine session, interleaved, RUNS times each, on the same already created store;
the applet runs offscreen through ``cmd /c`` (tests/packaging/wine.py says why). Wine's own start-up is
in both figures, so the ratio says what the GUI adds to a console program, not what Windows would show.
Only gross violations fail (target for the folder: under 120 MB).
"""

import re
import statistics
import time
from pathlib import Path

import pytest

from tests.packaging.wine import (
    qt_settings,
    run_wine,
    windows_path,
    wine_command,
    wine_environment,
    wine_frozen_dir,
    wine_session,
)

pytestmark = pytest.mark.benchmark

RUNS = 5


def test_wine_first_paint_against_version(tmp_path: Path) -> None:
    folder = wine_frozen_dir()
    env = wine_environment()
    data = windows_path(tmp_path / "store")
    version = wine_command(folder / "lls.exe", ["--version"])
    applet = wine_command(folder / "licensing.exe", ["--data-dir", data, "--self-test"], qt_settings())
    version_times, exit_times, paint_times = [], [], []
    with wine_session(env):
        for command in (version, applet):  # warm-up: creates the store, fills the file cache
            assert run_wine(command, env, timeout=180).returncode == 0
        for _ in range(RUNS):
            started = time.perf_counter()
            assert run_wine(version, env).returncode == 0
            version_times.append(time.perf_counter() - started)
            launched, started = time.time(), time.perf_counter()
            completed = run_wine(applet, env, timeout=180)
            exit_times.append(time.perf_counter() - started)
            assert completed.returncode == 0, completed.stderr
            painted = re.search(r"^first-paint (\d+\.\d+)$", completed.stdout, re.MULTILINE)
            assert painted, completed.stdout
            paint_times.append(float(painted.group(1)) - launched)
    version_median, paint_median = statistics.median(version_times), statistics.median(paint_times)
    size_mb = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1_000_000
    exit_median = statistics.median(exit_times)
    print(
        f"\n[wine] lls.exe --version, median of {RUNS}: {version_median * 1000:.0f} ms"
        f"\n[wine] licensing.exe --self-test start to first paint, median of {RUNS}: "
        f"{paint_median * 1000:.0f} ms (to exit {exit_median * 1000:.0f} ms), "
        f"{paint_median / version_median:.2f}x lls.exe --version"
        f"\n[wine] {folder} size: {size_mb:.1f} MB (target < 120 MB)"
    )
    assert size_mb < 200, "the Windows folder grew grossly: unused Qt modules collected again?"
    assert paint_median < 20 * version_median, "the applet starts grossly slower than the console program"
