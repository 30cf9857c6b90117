#!/usr/bin/env bash
# CI's check of the Windows folder: build dist/windows/Licensing/ under Wine (build-under-wine.sh), then run
# the smoke test and the start-up benchmark against it under Wine. Exits non-zero on any failure.
#
#   bash packaging/windows/smoke-under-wine.sh
#
# Run from the project's Linux virtual environment with its `test` and `packaging` extras (packaging/smoke.sh
# installs them); the pictures of both windows land in build/windows-under-wine/.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python}"
CACHE="${LICENSING_WINE_CACHE:-$HOME/.cache/licensing-wine}"
export WINEPREFIX="${WINEPREFIX:-$CACHE/prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"

start=$(date +%s)
PYTHON="$PYTHON" bash packaging/windows/build-under-wine.sh
echo "smoke-under-wine.sh: build took $(($(date +%s) - start)) s"

export LLS_WINE_FROZEN_DIR="$PWD/dist/windows/Licensing"
"$PYTHON" -m pytest -q -p no:cacheprovider tests/packaging/test_windows_under_wine.py
"$PYTHON" -m pytest -q -s -p no:cacheprovider -m benchmark tests/benchmarks/test_bench_wine.py
echo "smoke-under-wine.sh: build, smoke test and benchmark took $(($(date +%s) - start)) s;" \
  "pictures in build/windows-under-wine/"
