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


def test_system_unit_runs_as_the_service_user_on_its_store_with_the_configured_file(tmp_path: Path) -> None:
    store = resolve_paths("/var/lib/licensing")
    config = tmp_path / "licensing.toml"
    unit = systemd_unit(store, system=True, config_file=config, port=8765)
    lines = unit.splitlines()
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    assert exec_start.endswith(f"--config {config} --data-dir /var/lib/licensing service run --background")
    for line in (
        "User=licensing",
        "StateDirectory=licensing",
        "ReadWritePaths=/var/lib/licensing",
        "ExecStartPre=+chown -R licensing:licensing /var/lib/licensing",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "LimitNOFILE=65536",
    ):
        assert line in lines, line
    # A port below 1024 from the configuration keeps the one capability it needs, and nothing else.
    low = systemd_unit(store, system=True, port=443).splitlines()
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in low
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in low
    user_unit = systemd_unit(store, system=False).splitlines()
    assert "User=licensing" not in user_unit and "# (system unit only) User=licensing" in user_unit


def test_system_unit_refuses_what_its_user_cannot_read(tmp_path: Path) -> None:
    from applet.domain.errors import InvalidInput
    from applet.service.control.systemd import unit_config_file
    from applet.store.config import load_configuration, user_config_file

    machine = resolve_paths("/var/lib/licensing")
    assert unit_config_file(load_configuration(), machine, system=True) is None
    user_config_file().parent.mkdir(parents=True)
    user_config_file().write_text("[service]\nport = 9000\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="does not read the per-user configuration"):
        unit_config_file(load_configuration(), machine, system=True)
    assert unit_config_file(load_configuration(), machine, system=False) is None
    user_config_file().unlink()
    with pytest.raises(InvalidInput, match="cannot use a store in a home folder"):
        unit_config_file(load_configuration(), resolve_paths("/home/someone/store"), system=True)


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
