#!/usr/bin/env bash
# Build the standalone folder dist/Licensing/ (executables `licensing` and `lls`) with PyInstaller.
#
#   bash packaging/build.sh            # uses $PYTHON, else the active virtual environment's python
#
# Needs the project and its `packaging` extra installed in that environment:
#   pip install -e '.[packaging]'
# The PyInstaller log goes to build/pyinstaller.log (shown when the build fails).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python}"
mkdir -p build
log=build/pyinstaller.log
if ! "$PYTHON" -m PyInstaller --clean --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/licensing.spec >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "build.sh: PyInstaller failed; the whole log is in $log" >&2
  exit 1
fi
# lls(1) and the bash/zsh/fish completions, from lls's parser (packaging/linux/install.sh installs them).
"$PYTHON" -m applet.cli.shell dist/Licensing/_internal/share >/dev/null
size_kib=$(du -sk dist/Licensing | cut -f1)
echo "build.sh: dist/Licensing built, $((size_kib / 1024)) MiB"
