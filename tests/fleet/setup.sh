#!/bin/sh
# The tools of the fleet suite, under target/fleet/ (nothing host-global but
# Debian packages; a second run takes a second):
#   venv/      ansible-core, ansible-lint, prometheus_client from PyPI
#   promtool   from Debian's prometheus package, unpacked, not installed
#              (installing it would start a Prometheus server on :9090)
#   dropbear   Debian's dropbear-bin (OpenWrt's SSH server), for the SSH test
# Usage: sh tests/fleet/setup.sh   (run from the repository root)
set -eu
out=target/fleet
mkdir -p "$out"

apt_install() {
    apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@" >/dev/null ||
        { apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
          apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@" >/dev/null; }
}

need=""
[ -x /usr/bin/python3 ] || need="$need python3"
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || need="$need python3-venv"
command -v dropbear >/dev/null || [ -x /usr/sbin/dropbear ] || need="$need dropbear-bin"
command -v ssh >/dev/null || need="$need openssh-client"
command -v ssh-keygen >/dev/null || need="$need openssh-client"
command -v unshare >/dev/null || need="$need util-linux"
if [ -n "$need" ]; then
    echo "fleet setup: apt-get install$need"
    apt_install $need
fi

# Pinned: the versions this suite was written and checked against.
if ! [ -x "$out/venv/bin/ansible-playbook" ] || ! [ -f "$out/venv/.complete" ]; then
    echo "fleet setup: python venv with ansible-core, ansible-lint, prometheus_client"
    rm -rf "$out/venv"
    /usr/bin/python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install -q --disable-pip-version-check \
        ansible-core==2.19.14 ansible-lint==26.10.1 prometheus-client==0.26.0
    touch "$out/venv/.complete"
fi

if ! [ -x "$out/promtool" ]; then
    echo "fleet setup: promtool from Debian's prometheus package"
    rm -rf "$out/deb" && mkdir -p "$out/deb"
    (cd "$out/deb" && { apt-get download -q prometheus >/dev/null 2>&1 ||
        { apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null && apt-get download -q prometheus >/dev/null; }; })
    dpkg-deb -x "$out"/deb/prometheus_*.deb "$out/deb/root"
    cp "$out/deb/root/usr/bin/promtool" "$out/promtool"
    rm -rf "$out/deb"
fi
"$out/promtool" --version 2>&1 | head -1
"$out/venv/bin/ansible" --version | head -1
