"""When Qt's platform plugin cannot start, ``licensing`` and ``license-manager`` say why in one line.

Each case runs the real entry point in a subprocess: no display for the X11 plugin, an unknown platform,
a shared library of the X11 plugin missing (hidden in a private mount namespace, where ``unshare`` is
allowed), and the diagnosis of a plugin copied away from the Qt libraries it needs.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from applet.ui import platform_plugin

ENTRY_POINTS = {
    "licensing": "applet.ui.licensing_main",
    "license-manager": "applet.ui.manager.main",
}
REPO_ROOT = Path(__file__).resolve().parents[2]


def run_gui(program: str, data_dir: Path, **environment: str | None) -> subprocess.CompletedProcess[str]:
    """Run ``program``'s entry point with ``environment`` applied (None removes a variable)."""
    env = dict(os.environ)
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-m", ENTRY_POINTS[program], "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def xcb_plugin() -> Path:
    plugin = platform_plugin.platform_plugin_file("xcb")
    assert plugin is not None, "PySide6 ships the xcb platform plugin"
    return plugin


def assert_one_line(done: subprocess.CompletedProcess[str], program: str) -> str:
    """Exit 1 (not Qt's abort) and exactly one line on stderr, which is returned."""
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{program}: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("program", sorted(ENTRY_POINTS))
def test_x11_without_a_display_is_one_line(program: str, data_dir: Path) -> None:
    done = run_gui(program, data_dir, QT_QPA_PLATFORM="xcb", DISPLAY=None, WAYLAND_DISPLAY=None)
    line = assert_one_line(done, program)
    missing = platform_plugin.missing_libraries(xcb_plugin())
    if missing:  # a machine without the X11 libraries: the plugin does not even load
        assert all(name in line for name in missing), line
    else:
        assert "cannot connect to an X display (DISPLAY is unset)" in line


def test_unreachable_display_is_named(data_dir: Path) -> None:
    if platform_plugin.missing_libraries(xcb_plugin()):
        pytest.skip("the X11 libraries are not installed (see the README's Prerequisites)")
    # Display 99999 has no socket and no lock file on any machine.
    done = run_gui("licensing", data_dir, QT_QPA_PLATFORM="xcb", DISPLAY=":99999")
    assert "cannot connect to the X display :99999" in assert_one_line(done, "licensing")


def test_unknown_platform_is_one_line(data_dir: Path) -> None:
    done = run_gui("license-manager", data_dir, QT_QPA_PLATFORM="no-such-platform")
    assert 'no Qt platform plugin "no-such-platform"' in assert_one_line(done, "license-manager")


def can_hide_files() -> bool:
    """True where a private mount namespace can be made (root, or user namespaces allowed)."""
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "-m", "--propagation", "private", "true"]
    return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not can_hide_files(), reason="needs `unshare -m` (root) to hide a system library")
def test_missing_x11_library_is_named_with_its_package(tmp_path: Path, data_dir: Path) -> None:
    listed = subprocess.run(["ldd", str(xcb_plugin())], capture_output=True, text=True, check=True).stdout
    resolved = dict((line.split()[0], line.split()[2]) for line in listed.splitlines() if " => /" in line)
    if "libxcb-icccm.so.4" not in resolved:
        pytest.skip("libxcb-icccm4 is not installed here")
    library_dir = Path(resolved["libxcb-icccm.so.4"]).parent
    original, farm = tmp_path / "original", tmp_path / "farm"
    original.mkdir()
    farm.mkdir()
    # The library folder, seen through a farm of links to everything in it but libxcb-icccm.
    hide = f"""
        set -e
        mount --bind '{library_dir}' '{original}'
        for entry in '{original}'/*; do
          case "${{entry##*/}}" in libxcb-icccm.so*) ;; *) ln -s "$entry" '{farm}/' ;; esac
        done
        mount --bind '{farm}' '{library_dir}'
        exec "$@"
    """
    command = [sys.executable, "-m", ENTRY_POINTS["licensing"], "--data-dir", str(data_dir)]
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", hide, "sh", *command],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=":99999"),
        stdin=subprocess.DEVNULL,
    )
    line = assert_one_line(done, "licensing")
    assert 'the Qt platform plugin "xcb" cannot load: libxcb-icccm.so.4 missing' in line
    assert "apt-get install libxcb-icccm4;" in line
    assert "xcb-cursor0" not in line  # Qt's own advice blames the wrong library


def test_plugin_away_from_qt_is_a_broken_install(tmp_path: Path) -> None:
    # A copy of the plugin cannot find the Qt libraries next to the original: Qt's own, no Debian package.
    shutil.copy2(xcb_plugin(), tmp_path / "libqxcb.so")
    qt_said = [f'Could not load the Qt platform plugin "xcb" in "{tmp_path}" even though it was found.']
    line = platform_plugin.diagnose(qt_said)
    assert line.startswith('the Qt platform plugin "xcb" cannot load: libQt6XcbQpa.so.6'), line
    assert "reinstall PySide6-Essentials" in line
    assert "apt-get install libqt6" not in line


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libEGL.so.1", "libegl1"),
        ("libdbus-1.so.3", "libdbus-1-3"),
        ("libQt6XcbQpa.so.6", None),
    ],
)
def test_debian_package_of_a_library(soname: str, package: str | None) -> None:
    assert platform_plugin.debian_package(soname) == package


def test_readme_lists_every_gui_package() -> None:
    listed = (REPO_ROOT / "packaging" / "linux" / "debian-gui-packages").read_text(encoding="utf-8")
    packages = [line for line in listed.splitlines() if line and not line.startswith("#")]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert {"libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libegl1"} <= set(packages)
    apt_line = readme.split("### Prerequisites", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert apt_line.split()[:3] == ["sudo", "apt-get", "install"]
    assert sorted(word for word in apt_line.split()[3:] if word != "\\") == sorted(packages)
