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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux installer")
def test_install_places_man_page_and_completions(repo_root: Path, tmp_path: Path) -> None:
    built = tmp_path / "Licensing"
    internal = built / "_internal"
    for program in ("lls", "licensing"):
        (built / program).parent.mkdir(parents=True, exist_ok=True)
        (built / program).write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        (built / program).chmod(stat.S_IRWXU)
    shutil.copytree(repo_root / "packaging" / "linux", internal / "linux")
    (internal / "resources" / "icons").mkdir(parents=True)
    shutil.copy2(repo_root / "resources" / "icons" / "licensing.svg", internal / "resources" / "icons")
    generated = write_share_files(internal / "share")

    share = tmp_path / "share"
    env = dict(
        os.environ,
        LICENSING_PREFIX=str(tmp_path / "opt" / "licensing"),
        LICENSING_BIN_DIR=str(tmp_path / "bin"),
        LICENSING_SHARE_DIR=str(share),
    )
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
