#!/usr/bin/env bash
# CI's frozen-build check: install PyInstaller (the `packaging` extra), build dist/Licensing/, then run
# the smoke test and the frozen start-up benchmark against that folder. Exits non-zero on any failure.
#
#   bash packaging/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python}"
"$PYTHON" -m pip install --quiet -e '.[test,packaging]'

# Qt's X11 platform plugin links these; PyInstaller bundles only what the build machine has, so a bare
# build machine would ship a folder whose `licensing` cannot open a window on an X desktop.
# desktop-file-validate checks packaging/linux/licensing.desktop in tests/packaging.
xcb_libraries="libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-shape0 libxcb-render-util0 libxcb-image0 libxkbcommon-x11-0"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
  { ! ldconfig -p | grep -q libxcb-cursor.so.0 || ! command -v desktop-file-validate >/dev/null; }; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086 - a list of package names
  apt-get install -y -qq --no-install-recommends $xcb_libraries desktop-file-utils >/dev/null
fi

start=$(date +%s)
PYTHON="$PYTHON" bash packaging/build.sh
echo "smoke.sh: build took $(($(date +%s) - start)) s"

export LLS_FROZEN_DIR="$PWD/dist/Licensing"
"$PYTHON" -m pytest -q -p no:cacheprovider tests/packaging
"$PYTHON" -m pytest -q -s -p no:cacheprovider -m benchmark tests/benchmarks/test_bench_frozen.py
echo "smoke.sh: build and smoke test took $(($(date +%s) - start)) s"
