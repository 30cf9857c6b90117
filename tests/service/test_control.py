"""Service control (applet.service.control): the systemd unit of a store, and sc.exe calls as run."""

import sys
from pathlib import Path

import pytest

from applet.service.control import ServiceControlError
from applet.service.control.systemd import systemd_unit
from applet.service.control.windows import run_sc
from applet.store.paths import resolve_paths


def test_systemd_unit_runs_this_store(data_dir: Path) -> None:
    unit = systemd_unit(resolve_paths(data_dir), system=False)
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert f"--data-dir {data_dir} service run" in exec_start
    assert "WantedBy=default.target" in unit
    assert "@EXEC_START@" not in unit and "@WANTED_BY@" not in unit
    assert "WantedBy=multi-user.target" in systemd_unit(resolve_paths(data_dir), system=True)


def test_systemd_unit_escapes_specifiers_in_the_data_folder(tmp_path: Path) -> None:
    odd = tmp_path / "100%$HOME"
    exec_start = next(
        line
        for line in systemd_unit(resolve_paths(odd), system=False).splitlines()
        if line.startswith("ExecStart=")
    )
    # systemd turns "%%" into "%" and "$$" into "$": the service gets the folder as written.
    assert "100%%$$HOME" in exec_start


def test_sc_calls_stop_at_the_first_failure_with_one_line(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    python = sys.executable
    fail = [python, "-c", "import sys; print('Access is denied.\\n'); sys.exit(5)"]
    touch = [python, "-c", f"open({str(marker)!r}, 'w').close()"]
    with pytest.raises(ServiceControlError, match=r"failed \(administrator prompt\?\): Access is denied\.$"):
        run_sc([fail, touch])
    assert not marker.exists()
    run_sc([fail, touch], tolerate_first=True)  # `sc.exe stop` of a stopped service before `delete`
    assert marker.exists()
