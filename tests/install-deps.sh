#!/bin/sh
# Installs the Debian packages the host tests use, if missing (idempotent).
#   util-linux  setpriv: tests run commands as other users to ask the kernel
#   python3     makes UNIX sockets in test trees (PHP-FPM's fpm.sock)
#   coreutils, findutils  GNU stat/find for the differential tests
set -eu
need=""
command -v setpriv >/dev/null || need="$need util-linux"
command -v python3 >/dev/null || need="$need python3"
command -v find >/dev/null || need="$need findutils"
command -v stat >/dev/null || need="$need coreutils"
command -v useradd >/dev/null || need="$need passwd"
if [ -n "$need" ]; then
    [ "$(id -u)" = 0 ] || { echo "install-deps: need root to install:$need" >&2; exit 1; }
    echo "install-deps: apt-get install$need"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
