"""The configuration file (applet/store/config.py) and the data folder's order of precedence
(applet/store/paths.py): which files are read, what they may hold, and which store wins."""

import os
import sys
from pathlib import Path

import pytest

from applet.store.config import (
    ConfigError,
    load_configuration,
    machine_config_file,
    read_config_file,
    user_config_file,
)
from applet.store.paths import machine_store_dir, machine_store_warning, resolve_paths


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_per_user_file_is_in_the_platformdirs_config_folder() -> None:
    from platformdirs import user_config_path

    from applet import APP_AUTHOR, APP_NAME

    # Computed without importing platformdirs on Linux (start-up time): the same folder.
    assert user_config_file() == user_config_path(APP_NAME, APP_AUTHOR, roaming=False) / "licensing.toml"


def test_per_user_keys_override_the_machine_wide_file_one_by_one(tmp_path: Path) -> None:
    _write(machine_config_file(), '[service]\nport = 9001\nhost = "127.0.0.2"\n')
    _write(user_config_file(), "[service]\nport = 9002\n")
    configuration = load_configuration()
    assert configuration.lookup("service.port") == (9002, user_config_file())
    assert configuration.lookup("service.host") == ("127.0.0.2", machine_config_file())
    assert [c.state for c in configuration.candidates] == ["in force", "in force"]


def test_config_option_file_alone_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(machine_config_file(), "[service]\nheartbeat_seconds = 30\n")
    chosen = _write(tmp_path / "chosen.toml", "[service]\nport = 9003\n")
    monkeypatch.setenv("LLS_CONFIG", str(chosen))
    configuration = load_configuration()
    assert configuration.get("service.port") == 9003
    assert configuration.get("service.heartbeat_seconds") is None
    assert [c.state for c in configuration.candidates] == ["in force", "not read", "not read"]
    monkeypatch.setenv("LLS_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read it"):
        load_configuration()


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "etc" / "licensing.toml", 'data_dir = "store"\n[service]\ntls_cert = "c.pem"\n'
    )
    values = read_config_file(config, "--config").values
    assert values["data_dir"] == str(tmp_path / "etc" / "store")
    assert values["service.tls_cert"] == str(tmp_path / "etc" / "c.pem")


def test_data_folder_order_of_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(machine_config_file(), f'data_dir = "{tmp_path / "machine"}"\n')
    _write(user_config_file(), f'data_dir = "{tmp_path / "mine"}"\n')
    # --data-dir > $LLS_DATA_DIR (the test's) > ...
    assert resolve_paths(tmp_path / "flag").source == "--data-dir"
    assert resolve_paths().source == "LLS_DATA_DIR"
    monkeypatch.delenv("LLS_DATA_DIR")
    # ... > the per-user file's data_dir over the machine-wide one's ...
    paths = resolve_paths()
    assert (paths.data_dir, paths.source, paths.config_file) == (
        tmp_path / "mine",
        "config",
        user_config_file(),
    )
    # ... and $LLS_MACHINE_WIDE=1 above both files: the machine-wide store (the machine file's data_dir).
    monkeypatch.setenv("LLS_MACHINE_WIDE", "1")
    assert resolve_paths().data_dir == tmp_path / "machine" == machine_store_dir()
    monkeypatch.delenv("LLS_MACHINE_WIDE")
    user_config_file().unlink()
    assert resolve_paths().data_dir == tmp_path / "machine"
    machine_config_file().unlink()
    assert resolve_paths().source == "default"


def test_warning_when_a_machine_wide_store_exists_and_another_is_used(tmp_path: Path, data_dir: Path) -> None:
    machine = tmp_path / "machine"
    _write(machine_config_file(), f'data_dir = "{machine}"\n')
    assert machine_store_warning(resolve_paths()) is None  # no machine-wide store yet
    _write(machine / "licensing.sqlite3", "")
    warning = machine_store_warning(resolve_paths())
    assert warning is not None
    assert str(machine) in warning and str(data_dir) in warning and "$LLS_DATA_DIR is set" in warning
    assert machine_store_warning(resolve_paths(machine)) is None


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[service\nport = 1\n", None, "not TOML: "),
        ("[service]\nprot = 8765\n", "service.prot", "unknown key (known: host, port, tls_cert"),
        ("colour = 'blue'\n", "colour", "unknown key (known: data_dir, [replication], [service])"),
        ("[service]\nport = '8765'\n", "service.port", "must be a whole number (a TCP port), not a string"),
        ("[service]\nport = 70000\n", "service.port", "must be a TCP port from 0 to 65535, not 70000"),
        ("[service]\nport = -1\n", "service.port", "must be a TCP port from 0 to 65535, not -1"),
        ("[service]\nheartbeat_seconds = true\n", "service.heartbeat_seconds", "not a boolean"),
        ("[service]\nexpiry_seconds = 0\n", "service.expiry_seconds", "must be between 0 and"),
        ("service = 3\n", "service", "must be a table ([service])"),
        ("[replication]\nmaster = 'pdc'\n", "replication.master", "must be one of domain-controller"),
        ("[replication]\nstart_at = '25:00'\n", "replication.start_at", "must be HH:MM"),
        ("[replication]\nevery_hours = 73\n", "replication.every_hours", "must be 1 to 72 hours"),
        (
            "[replication]\nenterprise_database = 'mysql://x'\n",
            "replication.enterprise_database",
            "postgresql",
        ),
        ("data_dir = ''\n", "data_dir", "must be a non-empty string"),
        ("[replication]\ndomain = 'not a domain!'\n", "replication.domain", "not a DNS domain"),
    ],
)
def test_bad_files_name_the_file_the_key_and_the_problem(
    tmp_path: Path, text: str, key: str | None, problem: str
) -> None:
    config = _write(tmp_path / "licensing.toml", text)
    with pytest.raises(ConfigError) as raised:
        read_config_file(config, "--config")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"configuration file {config}: " + (f"{key}: " if key else ""))
    assert problem in message


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    config = _write(tmp_path / "licensing.toml", "[service]\nport = 1\n")
    config.chmod(0)
    with pytest.raises(ConfigError, match=r"licensing\.toml: cannot read it: Permission denied"):
        read_config_file(config, "--config")


def test_the_windows_service_uses_the_configured_machine_wide_store(tmp_path: Path) -> None:
    from applet.service.control.windows import service_data_dir

    _write(machine_config_file(), f'data_dir = "{tmp_path / "server-store"}"\n')
    assert service_data_dir(None) == tmp_path / "server-store"
    assert service_data_dir(str(tmp_path / "flag")) == tmp_path / "flag"


def test_machine_wide_file_on_windows_is_in_program_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from applet.store.paths import machine_wide_dir

    monkeypatch.delenv("LLS_MACHINE_CONFIG")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", str(tmp_path / "ProgramData"))
    assert machine_config_file() == tmp_path / "ProgramData" / "Licensing" / "licensing.toml"
    # Beside the machine-wide store's default folder, as /etc/licensing is beside /var/lib/licensing.
    assert machine_config_file().parent == machine_wide_dir()
    monkeypatch.setattr(sys, "platform", "linux")
    assert machine_config_file() == Path("/etc/licensing/licensing.toml")
