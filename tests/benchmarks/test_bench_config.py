"""The configuration file's cost at start-up: ``lls --json product list`` with the store chosen by a
machine-wide and a per-user ``licensing.toml`` (both read, every key of the documented example set),
against ``python -c "import sqlite3"``, and against the same command with ``--data-dir`` and no file.

Run: ``python -m pytest tests/benchmarks/test_bench_config.py -m benchmark -s -q``. Target: within 4x of
the baseline (issue 14). Medians of interleaved runs; the machine is shared and noisy.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.test_bench_foundation import _median_wall

pytestmark = pytest.mark.benchmark

MACHINE_FILE = """\
data_dir = "{store}"
[service]
host = "127.0.0.1"
port = 8765
heartbeat_seconds = 60
expiry_seconds = 120
violation_interval_seconds = 21600
[replication]
master = "enterprise-server"
enterprise_server = "licmaster:8765"
frequency = "every"
every_hours = 24
retry_seconds = 900
"""


def test_cli_start_up_with_the_configuration_file_read(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = Path(os.environ["LLS_MACHINE_CONFIG"])
    machine.parent.mkdir(parents=True)
    machine.write_text(MACHINE_FILE.format(store=data_dir), encoding="utf-8")
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "Licensing" / "licensing.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[service]\nheartbeat_seconds = 30\n", encoding="utf-8")
    monkeypatch.delenv("LLS_DATA_DIR")  # the store comes from the file's data_dir
    # As installed (pip and the frozen build compile the bytecode): with PYTHONDONTWRITEBYTECODE set, a
    # source checkout would otherwise compile every module on every run and measure the compiler.
    import applet

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(applet.__file__).parent)], check=True)
    lls = Path(sys.executable).with_name("lls")
    command = [str(lls)] if lls.exists() else [sys.executable, "-m", "applet"]
    first = subprocess.run(
        [*command, "--json", "product", "list"], capture_output=True, text=True, check=True
    )
    assert first.stdout.startswith("[") and (data_dir / "licensing.sqlite3").exists()
    shown = subprocess.run([*command, "config", "show"], capture_output=True, text=True, check=True)
    assert f"because: data_dir in {machine}" in shown.stdout

    baselines, configured, flagged = [], [], []
    for _ in range(3):  # interleaved, so that load changes hit all three alike
        baselines.append(_median_wall([sys.executable, "-c", "import sqlite3"], runs=7))
        configured.append(_median_wall([*command, "--json", "product", "list"], runs=7))
        flagged.append(
            _median_wall([*command, "--data-dir", str(data_dir), "--json", "product", "list"], runs=7)
        )
    baseline, measured, without = min(baselines), min(configured), min(flagged)
    ratio = measured / baseline
    print(
        f"\n[config] lls --json product list, store from licensing.toml (machine-wide + per-user read): "
        f"{measured * 1000:.1f} ms; with --data-dir: {without * 1000:.1f} ms "
        f"(the files cost {(measured - without) * 1000:+.1f} ms); python -c 'import sqlite3': "
        f"{baseline * 1000:.1f} ms; ratio {ratio:.2f}x (target <= 4x)"
    )
    assert ratio < 8, "the CLI start-up regressed grossly"
