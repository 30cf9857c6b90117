#!/usr/bin/env bash
# Install the frozen Licensing folder on Linux: the programs on PATH, the desktop entry and icon, lls(1)
# and the bash/zsh/fish completions, and (with --service) the License Logging service as a systemd unit
# that starts at boot.
#
#   sudo Licensing/_internal/linux/install.sh [--service]      # from the copied folder
#   bash packaging/linux/install.sh --from dist/Licensing      # from a source tree, after build.sh
#
# As root: /opt/licensing, /usr/local/bin, /usr/share/{applications,icons,man,...}; with --service also the
# system user "licensing", /etc/licensing/licensing.toml (if missing) and the store /var/lib/licensing.
# Otherwise: ~/.local/opt/licensing, ~/.local/bin, ~/.local/share/{applications,icons,man,...}, the
# per-user store.
# LICENSING_PREFIX, LICENSING_BIN_DIR, LICENSING_SHARE_DIR and LICENSING_CONFIG_DIR override the folders.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
from="$(cd "$here/../.." && pwd)"   # Licensing/_internal/linux -> Licensing
service=no
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="$(cd "$2" && pwd)"; shift 2 ;;
    --service) service=yes; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$from/lls" ] || [ ! -x "$from/licensing" ]; then
  echo "install.sh: $from is not a built Licensing folder (no lls and licensing programs)" >&2
  exit 2
fi

if [ "$(id -u)" = 0 ]; then
  prefix="${LICENSING_PREFIX:-/opt/licensing}"
  bin_dir="${LICENSING_BIN_DIR:-/usr/local/bin}"
  share_dir="${LICENSING_SHARE_DIR:-/usr/share}"
else
  prefix="${LICENSING_PREFIX:-$HOME/.local/opt/licensing}"
  bin_dir="${LICENSING_BIN_DIR:-$HOME/.local/bin}"
  share_dir="${LICENSING_SHARE_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}}"
fi

mkdir -p "$prefix"
if [ "$from" != "$(cd "$prefix" && pwd)" ]; then
  if [ -n "$(ls -A "$prefix")" ] && [ ! -x "$prefix/lls" ]; then
    echo "install.sh: $prefix is not empty and holds no earlier Licensing install; not replacing it" >&2
    exit 1
  fi
  # -a keeps PyInstaller's symbolic links inside _internal/.
  rm -rf "$prefix"
  mkdir -p "$(dirname "$prefix")"
  cp -a "$from" "$prefix"
fi
mkdir -p "$bin_dir" "$share_dir/applications" "$share_dir/icons/hicolor/scalable/apps"
ln -sfn "$prefix/lls" "$bin_dir/lls"
ln -sfn "$prefix/licensing" "$bin_dir/licensing"
sed "s|@BINDIR@|$prefix|g" "$prefix/_internal/linux/licensing.desktop" >"$share_dir/applications/licensing.desktop"
cp "$prefix/_internal/resources/icons/licensing.svg" "$share_dir/icons/hicolor/scalable/apps/licensing.svg"
echo "install.sh: Licensing installed in $prefix; lls and licensing linked into $bin_dir"

# The man page and the shell completions, written from lls's parser when the folder was built
# (packaging/build.sh), where man, bash-completion, zsh and fish look for them.
generated="$prefix/_internal/share"
if [ -d "$generated" ]; then
  if [ "$(id -u)" = 0 ]; then
    zsh_dir="$share_dir/zsh/vendor-completions"   # in Debian's default $fpath
  else
    zsh_dir="$share_dir/zsh/site-functions"       # add it to $fpath in ~/.zshrc
  fi
  place() { mkdir -p "$(dirname "$2")" && cp "$generated/$1" "$2"; }
  place man/man1/lls.1 "$share_dir/man/man1/lls.1"
  place bash-completion/completions/lls "$share_dir/bash-completion/completions/lls"
  place zsh/site-functions/_lls "$zsh_dir/_lls"
  place fish/vendor_completions.d/lls.fish "$share_dir/fish/vendor_completions.d/lls.fish"
  echo "install.sh: man page in $share_dir/man/man1, completions for bash, zsh ($zsh_dir) and fish"
fi

if [ "$service" = yes ]; then
  if [ "$(id -u)" = 0 ]; then
    # The service runs as its own system user, which owns the machine-wide store (/var/lib/licensing,
    # the unit's StateDirectory). The machine-wide configuration names that store, so lls and both GUIs
    # use it too, for every user (see `lls config show`).
    if ! id -u licensing >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /var/lib/licensing --no-create-home \
        --shell /usr/sbin/nologin --comment "License Logging Service" licensing
      echo "install.sh: created the system user licensing"
    fi
    config_dir="${LICENSING_CONFIG_DIR:-/etc/licensing}"
    if [ ! -e "$config_dir/licensing.toml" ]; then
      mkdir -p "$config_dir"
      install -m 0644 "$prefix/_internal/linux/licensing.toml" "$config_dir/licensing.toml"
      echo "install.sh: wrote $config_dir/licensing.toml (the machine-wide configuration)"
    fi
    LLS_MACHINE_WIDE=1 LLS_MACHINE_CONFIG="$config_dir/licensing.toml" "$prefix/lls" service startup automatic
  else
    "$prefix/lls" service startup automatic
  fi
fi
