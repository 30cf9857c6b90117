#!/usr/bin/env bash
# CI's frozen-build check: install PyInstaller (the `packaging` extra), build dist/Licensing/, then run
# the smoke test and the frozen start-up benchmark against that folder. Exits non-zero on any failure.
#
#   bash packaging/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python}"
"$PYTHON" -m pip install --quiet -e '.[test,packaging]'

# Qt's X11 platform plugin links the GUI's system packages (packaging/linux/debian-gui-packages);
# PyInstaller bundles only what the build machine has, so a bare build machine would ship a folder whose
# `licensing` cannot open a window on an X desktop.
# desktop-file-validate checks packaging/linux/licensing.desktop in tests/packaging.
bash packaging/linux/apt-install-gui-packages.sh desktop-file-utils

start=$(date +%s)
PYTHON="$PYTHON" bash packaging/build.sh
echo "smoke.sh: build took $(($(date +%s) - start)) s"

export LLS_FROZEN_DIR="$PWD/dist/Licensing"
"$PYTHON" -m pytest -q -p no:cacheprovider tests/packaging
"$PYTHON" -m pytest -q -s -p no:cacheprovider -m benchmark tests/benchmarks/test_bench_frozen.py
echo "smoke.sh: build and smoke test took $(($(date +%s) - start)) s"
