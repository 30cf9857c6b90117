"""The configuration file as programs meet it: ``--config``, ``lls config show``, the warning of
``lls paths``, ``lls service start`` on the configured port, and bad files (exit 2, nothing started)."""

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from applet.store.config import machine_config_file, user_config_file
from tests.conftest import LlsResult


def run(*args: str, program: str = "applet", timeout: float = 60) -> LlsResult:
    """``lls`` (or another entry module) in the test's environment, without ``--data-dir``."""
    command = (
        [sys.executable, "-m", program, *args]
        if program == "applet"
        else [sys.executable, "-c", program, *args]
    )
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return LlsResult(completed)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def stopped_at_end(data_dir: Path) -> Iterator[None]:
    yield
    from applet.store.endpoint import find_service

    if find_service(data_dir) is not None:
        run("--data-dir", str(data_dir), "service", "stop")


BAD_FILES = {
    "unreadable": (None, "cannot read it: Is a directory"),
    "not TOML": ("[service\nport = 8765\n", "not TOML: "),
    "unknown key": ("[service]\nprot = 8765\n", "service.prot: unknown key"),
    "wrong type": ("[service]\nheartbeat_seconds = '60'\n", "service.heartbeat_seconds: must be a number"),
    "port out of range": ("[service]\nport = 65536\n", "service.port: must be a TCP port from 0 to 65535"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_one_line_exit_2_and_nothing_starts(case: str, tmp_path: Path, data_dir: Path) -> None:
    text, problem = BAD_FILES[case]
    config = tmp_path / "licensing.toml"
    if text is None:
        config.mkdir()  # a path that exists and cannot be read as a file, even by root
    else:
        _write(config, text)
    for args in (
        ("--config", str(config), "service", "start", "--port", "0"),
        ("service", "run", "--port", "0", "--config", str(config)),
        ("--config", str(config), "--json", "product", "list"),
    ):
        result = run(*args, timeout=30)
        assert result.code == 2, (args, result.stderr)
        assert result.stderr.startswith(f"lls: error: configuration file {config}: {problem}"), result.stderr
        assert result.stderr.count("\n") == 1 and result.stdout == ""
    # Nothing was started or created: no store, no lock, no log, no endpoint.
    assert not data_dir.exists()


@pytest.mark.parametrize("case", ["not TOML", "port out of range"])
def test_the_machine_wide_and_per_user_files_are_checked_too(case: str, data_dir: Path) -> None:
    text, problem = BAD_FILES[case]
    assert text is not None
    for config in (machine_config_file(), user_config_file()):
        _write(config, text)
        result = run("--json", "product", "list")
        assert result.code == 2 and f"configuration file {config}: {problem}" in result.stderr
        config.unlink()
    assert run("--json", "product", "list").code == 0


@pytest.mark.parametrize(
    "program",
    [
        "from applet.ui.licensing_main import main; raise SystemExit(main())",
        "from applet.ui.manager.main import main; raise SystemExit(main())",
    ],
    ids=["licensing", "license-manager"],
)
def test_the_guis_refuse_a_bad_file_before_any_window(program: str, tmp_path: Path, data_dir: Path) -> None:
    config = _write(tmp_path / "licensing.toml", "[service]\nport = 99999\n")
    result = run("--config", str(config), program=program)
    assert result.code == 2, result.stderr
    assert result.stderr.strip().endswith(
        f"{config}: service.port: must be a TCP port from 0 to 65535, not 99999"
    )
    assert result.stderr.count("\n") == 1
    assert not data_dir.exists()


def test_config_show_says_which_files_and_store_and_where_each_value_comes_from(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLS_DATA_DIR")
    machine = _write(machine_config_file(), f'data_dir = "{data_dir}"\n[service]\nport = 9100\n')
    user = _write(user_config_file(), "[service]\nheartbeat_seconds = 30\n")
    assert run("product", "list").code == 0  # creates the store the files name
    assert run("--json", "product", "list").code == 0
    shown = run("config", "show", "--json")
    assert shown.code == 0, shown.stderr
    document = shown.json()
    assert isinstance(document, dict)
    assert [(f["path"], f["state"]) for f in document["files"]] == [
        (str(machine), "in force"),
        (str(user), "in force"),
    ]
    assert document["store"] == {
        "data_dir": str(data_dir),
        "source": "config",
        "reason": f"data_dir in {machine}",
        "config_file": str(machine),
    }
    values = document["values"]
    assert values["service.port"] == {"value": 9100, "source": str(machine)}
    assert values["service.heartbeat_seconds"] == {"value": 30.0, "source": str(user)}
    assert values["service.expiry_seconds"] == {"value": 60.0, "source": "default (2 x heartbeat)"}
    assert values["service.host"] == {"value": "127.0.0.1", "source": "default"}
    assert values["replication.master"]["value"] == "domain-controller"
    assert values["replication.master"]["source"].startswith("the store's replication settings")
    text = run("config", "show")
    assert text.code == 0 and f"because: data_dir in {machine}" in text.stdout
    assert "service.port" in text.stdout and "9100" in text.stdout


def test_paths_and_config_show_warn_when_the_machine_wide_store_is_not_in_use(
    tmp_path: Path, data_dir: Path
) -> None:
    machine = tmp_path / "machine"
    _write(machine_config_file(), f'data_dir = "{machine}"\n')
    assert run("--data-dir", str(machine), "product", "list").code == 0  # the machine-wide store exists
    result = run("paths", "--json")  # $LLS_DATA_DIR chooses the test's store instead
    assert result.code == 0
    document = result.json()
    assert isinstance(document, dict)
    assert document["data_dir"] == str(data_dir)
    assert f"a machine-wide store exists in {machine}" in document["warning"]
    assert (
        result.stderr.startswith("lls: warning: a machine-wide store exists")
        and result.stderr.count("\n") == 1
    )
    assert run("--data-dir", str(machine), "paths", "--json").json()["warning"] is None  # type: ignore[index]
    shown = run("config", "show", "--json").json()
    assert isinstance(shown, dict)
    assert shown["machine_wide_store"] == {"data_dir": str(machine), "exists": True, "in_use": False}


def test_service_start_listens_where_the_file_says_and_takes_its_replication(
    tmp_path: Path, data_dir: Path, stopped_at_end: None
) -> None:
    port = _free_port()
    config = _write(
        tmp_path / "licensing.toml",
        f"[service]\nport = {port}\nheartbeat_seconds = 20\n"
        '[replication]\nenterprise_server = "licmaster:9000"\nstart_at = "03:30"\n'
        'domain_master = "licdc:9001"\n',
    )
    started = run("--config", str(config), "service", "start", "--json")
    assert started.code == 0, started.stderr
    endpoint = started.json()
    assert isinstance(endpoint, dict) and endpoint["port"] == port
    status = run("service", "status", "--json").json()
    assert isinstance(status, dict)
    assert (status["heartbeat_seconds"], status["lease_expiry_seconds"]) == (20, 40)
    replication = run("replication", "show", "--json").json()
    assert isinstance(replication, dict)
    assert (replication["master"], replication["enterprise_server"]) == (
        "enterprise-server",
        "licmaster:9000",
    )
    assert (replication["frequency"], replication["start_at"]) == ("start-at", "03:30")
    assert replication["administrator"] == str(config)  # recorded as the file's change
    from applet.store import Store

    with Store.open(data_dir) as store:
        assert store.setting("replication.domain_master") == "licdc:9001"
    # A command-line option outranks the file.
    assert run("service", "stop").code == 0
    other = _free_port()
    again = run("--config", str(config), "service", "start", "--port", str(other), "--json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["port"] == other


def test_service_start_serves_tls_with_the_files_the_configuration_names(
    tmp_path: Path, data_dir: Path, stopped_at_end: None
) -> None:
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lls-test",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        capture_output=True,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    # Relative to the file's folder, like every path in it.
    config = _write(
        tmp_path / "licensing.toml",
        '[service]\nhost = "0.0.0.0"\nport = 0\ntls_cert = "cert.pem"\ntls_key = "key.pem"\n',
    )
    started = run("--config", str(config), "service", "start", "--json")
    assert started.code == 0, started.stderr
    endpoint = started.json()
    assert isinstance(endpoint, dict)
    assert endpoint["tls"] is True and endpoint["url"].startswith("https://127.0.0.1:")
    assert endpoint["tls_cert_file"] == str(tmp_path / "cert.pem")


def test_a_configuration_the_service_cannot_run_with_is_refused_before_anything_is_installed(
    tmp_path: Path, data_dir: Path
) -> None:
    config = _write(tmp_path / "licensing.toml", '[service]\nhost = "0.0.0.0"\n')
    for args in (("service", "start"), ("service", "startup", "automatic")):
        result = run("--config", str(config), *args)
        assert result.code == 2, (args, result.stderr)
        assert "refusing to listen on 0.0.0.0, which is not a loopback address, without TLS" in result.stderr
        assert result.stderr.count("\n") == 1
    assert not data_dir.exists()
