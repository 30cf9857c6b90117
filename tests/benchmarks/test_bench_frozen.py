"""Frozen start-up: the applet's start to first paint from dist/Licensing vs from the source install.

Run after building (packaging/smoke.sh does both)::

    LLS_FROZEN_DIR=dist/Licensing python -m pytest tests/benchmarks/test_bench_frozen.py -m benchmark -s -q

Both sides run ``licensing --data-dir DIR --self-test`` (exits right after the dialog's first paint)
offscreen on the same, already created store, 10 times each, interleaved so that machine noise hits
both alike; the figure is the ratio of the medians (target <= 1.5x). Also prints the folder's size
(target < 150 MB on Linux). Only gross violations fail.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

RUNS = 10
EXE = ".exe" if sys.platform == "win32" else ""


def _frozen_dir() -> Path:
    named = os.environ.get("LLS_FROZEN_DIR")
    if not named:
        pytest.skip(
            "no frozen build: run packaging/smoke.sh, or set LLS_FROZEN_DIR to a dist/Licensing folder"
        )
    return Path(named)


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120
    )
    elapsed = time.perf_counter() - start
    assert completed.returncode == 0, completed.stderr
    return elapsed


def folder_size(folder: Path) -> int:
    """Bytes on disk of the folder's files (symbolic links count as links, as an archive stores them)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() or path.is_symlink())


def test_frozen_start_to_first_paint(data_dir: Path, tmp_path: Path) -> None:
    frozen = _frozen_dir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LLS_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    arguments = ["--data-dir", str(data_dir), "--self-test"]
    frozen_command = [str(frozen / f"licensing{EXE}"), *arguments]
    source_command = [sys.executable, "-m", "applet.ui.licensing_main", *arguments]
    # Warm-up: creates the store, fills the file cache for both.
    _wall(source_command, env)
    _wall(frozen_command, env)
    frozen_times, source_times = [], []
    for _ in range(RUNS):
        frozen_times.append(_wall(frozen_command, env))
        source_times.append(_wall(source_command, env))
    frozen_median = statistics.median(frozen_times)
    source_median = statistics.median(source_times)
    ratio = frozen_median / source_median
    size_mb = folder_size(frozen) / 1_000_000
    print(
        f"\n[frozen] licensing --self-test start to first paint, median of {RUNS}: "
        f"frozen {frozen_median * 1000:.0f} ms, source {source_median * 1000:.0f} ms, "
        f"ratio {ratio:.2f}x (target <= 1.5x)"
        f"\n[frozen] {frozen} size: {size_mb:.1f} MB (target < 150 MB on Linux)"
    )
    assert ratio < 3, "the frozen applet starts grossly slower than from source"
    if sys.platform.startswith("linux"):
        assert size_mb < 300, "the frozen folder grew grossly: unused Qt modules collected again?"
