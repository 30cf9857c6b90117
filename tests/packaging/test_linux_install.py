"""packaging/linux/install.sh puts lls(1) and the completions where man, bash, zsh and fish look.

Runs the real script on a stand-in for a built folder (two tiny programs instead of PyInstaller's, the
folder's ``_internal/`` as ``packaging/build.sh`` leaves it), so it needs no frozen build.
"""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from applet.cli.shell import SHARE_FILES, write_share_files


def _built_folder(repo_root: Path, tmp_path: Path, lls_script: str = "exit 0") -> Path:
    """A stand-in for dist/Licensing: two tiny programs and the ``_internal/`` that build.sh leaves."""
    built = tmp_path / "Licensing"
    internal = built / "_internal"
    for program, script in (("lls", lls_script), ("licensing", "exit 0")):
        (built / program).parent.mkdir(parents=True, exist_ok=True)
        (built / program).write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
        (built / program).chmod(stat.S_IRWXU)
    shutil.copytree(repo_root / "packaging" / "linux", internal / "linux")
    (internal / "resources" / "icons").mkdir(parents=True)
    shutil.copy2(repo_root / "resources" / "icons" / "licensing.svg", internal / "resources" / "icons")
    return built


def _folders(tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        LICENSING_PREFIX=str(tmp_path / "opt" / "licensing"),
        LICENSING_BIN_DIR=str(tmp_path / "bin"),
        LICENSING_SHARE_DIR=str(tmp_path / "share"),
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux installer")
def test_install_places_man_page_and_completions(repo_root: Path, tmp_path: Path) -> None:
    built = _built_folder(repo_root, tmp_path)
    internal = built / "_internal"
    generated = write_share_files(internal / "share")

    share = tmp_path / "share"
    env = _folders(tmp_path)
    completed = subprocess.run(
        ["bash", str(internal / "linux" / "install.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stderr
    zsh_folder = "zsh/vendor-completions" if os.geteuid() == 0 else "zsh/site-functions"
    expected = {
        "man": "man/man1/lls.1",
        "bash": "bash-completion/completions/lls",
        "zsh": f"{zsh_folder}/_lls",
        "fish": "fish/vendor_completions.d/lls.fish",
    }
    for kind, source in zip(SHARE_FILES, generated, strict=True):
        installed = share / expected[kind]
        assert installed.read_bytes() == source.read_bytes(), kind
    assert "man page in" in completed.stdout


def _install_service(built: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = built / "_internal" / "linux" / "install.sh"
    return subprocess.run(
        ["bash", str(script), "--service"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0, reason="the Linux installer, as root"
)
def test_install_service_creates_the_user_and_the_machine_wide_configuration(
    repo_root: Path, tmp_path: Path
) -> None:
    """``install.sh --service`` as root: the system user ``licensing`` when missing (useradd, here a
    stand-in that records its arguments), /etc/licensing/licensing.toml when missing (here
    LICENSING_CONFIG_DIR), then ``lls service startup automatic`` on the machine-wide store."""
    record = tmp_path / "record"
    built = _built_folder(
        repo_root, tmp_path, f'echo "lls $* $LLS_MACHINE_WIDE $LLS_MACHINE_CONFIG" >> {record}'
    )
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "useradd").write_text(f'#!/bin/sh\necho "useradd $*" >> {record}\n', encoding="utf-8")
    # `id -u licensing` fails (no such user yet); plain `id -u` is the real one (root).
    (stubs / "id").write_text(
        '#!/bin/sh\nif [ "$2" = licensing ]; then exit 1; fi\nexec /usr/bin/id "$@"\n', encoding="utf-8"
    )
    for stub in stubs.iterdir():
        stub.chmod(stat.S_IRWXU)
    config_dir = tmp_path / "etc-licensing"
    env = dict(_folders(tmp_path), LICENSING_CONFIG_DIR=str(config_dir))
    env["PATH"] = f"{stubs}:{env['PATH']}"
    completed = _install_service(built, env)
    assert completed.returncode == 0, completed.stderr
    lines = record.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("useradd --system --user-group --home-dir /var/lib/licensing")
    assert lines[0].endswith(" licensing")
    assert lines[1] == f"lls service startup automatic 1 {config_dir / 'licensing.toml'}"
    config = config_dir / "licensing.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o644
    # The shipped example, and a valid configuration naming the machine-wide store.
    from applet.store.config import read_config_file

    assert read_config_file(config, "machine-wide").values == {"data_dir": "/var/lib/licensing"}
    # An existing file is never overwritten.
    config.write_text('data_dir = "/srv/licensing"\n', encoding="utf-8")
    again = _install_service(built, env)
    assert again.returncode == 0, again.stderr
    assert config.read_text(encoding="utf-8") == 'data_dir = "/srv/licensing"\n'
