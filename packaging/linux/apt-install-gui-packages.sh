#!/usr/bin/env bash
# Install, with apt, the GUI's system packages (debian-gui-packages, next to this script) and any packages
# named as arguments, when some are missing; as root on Debian/Ubuntu only, otherwise it says so and
# does nothing. Used by .ci/run and packaging/smoke.sh.
#
#   bash packaging/linux/apt-install-gui-packages.sh [EXTRA_PACKAGE...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "apt-install-gui-packages.sh: not root on a Debian/Ubuntu machine; not installing anything" >&2
  exit 0
fi
missing=()
for package in $(grep -v '^#' "$here/debian-gui-packages") "$@"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
