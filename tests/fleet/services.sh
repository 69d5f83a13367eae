#!/bin/sh
# The metrics setting of the service files (issue 14): each turns its
# setting into --metrics for the real chperms, which then writes the file
# promtool accepts. (The OpenRC and systemd suites run the services
# themselves; here only what the setting changes.)
# Usage: sh tests/fleet/services.sh   (after tests/fleet/setup.sh, as root)
set -u
. tests/fleet/lib.sh
workdir services
mkdir -p "$W/srv/a.org" "$W/prom"
id chpv1 >/dev/null 2>&1 || { fail "services" "user chpv1 missing: sh tests/setup-users.sh"; finish services; exit 1; }
chown chpv1 "$W/srv/a.org"
BB=$(command -v busybox || echo sh)

# OpenRC: conf.d's CHPERMS_METRICS becomes one --metrics argument of the watcher.
args=$("$BB" sh -c '
    yesno() { case "$1" in [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0;; esac; return 1; }
    . alpine/chperms.initd
    CHPERMS_METRICS="/var/lib/node exporter/chperms.prom"
    _command_args
    eval "set -- $command_args"
    for a in "$@"; do echo "[$a]"; done' 2>&1)
case $args in *"[--metrics]
[/var/lib/node exporter/chperms.prom]"*) pass "openrc initd: CHPERMS_METRICS -> --metrics FILE (one argument)";;
    *) fail "openrc initd" "$args";; esac

# Alpine's periodic job, no watcher running (no rc-service here): it writes.
printf 'CHPERMS_PERIODIC=yes\nCHPERMS_ROOT=%s\nCHPERMS_METRICS=%s\n' "$W/srv" "$W/prom/periodic.prom" > "$W/conf"
CHPERMS_CONF="$W/conf" CHPERMS_PROG="$BIN" "$BB" sh alpine/chperms.periodic
code=$?
if [ -s "$W/prom/periodic.prom" ] && "$TOOLS/promtool" check metrics < "$W/prom/periodic.prom"; then
    pass "alpine periodic: writes CHPERMS_METRICS when no watcher runs (exit $code)"
else
    fail "alpine periodic metrics" "exit $code; $(ls -la "$W/prom")"
fi

# Debian: the 5-minute check writes the file while chperms.service is not
# active (systemctl says so here: no systemd is running this machine's
# services, or chperms.service is not one of them).
if systemctl -q is-active chperms.service 2>/dev/null; then
    fail "debian" "chperms.service is active on this machine: cannot test the check job's metrics"
else
    CHPERMS_PROG="$BIN" CHPERMS_ROOT="$W/srv" CHPERMS_METRICS="$W/prom/deb.prom" sh debian/chperms-service check
    code=$?
    [ -s "$W/prom/deb.prom" ] && "$TOOLS/promtool" check metrics < "$W/prom/deb.prom" &&
        pass "debian check job: writes CHPERMS_METRICS while the watcher is inactive (exit $code)" ||
        fail "debian check metrics" "exit $code; $(ls -la "$W/prom")"
fi
# ... and the watcher's check-config validates the directory.
out=$(CHPERMS_PROG="$BIN" CHPERMS_ROOT="$W/srv" CHPERMS_METRICS="$W/nowhere/chperms.prom" \
    sh debian/chperms-service check-config 2>&1)
case $out in *"--metrics $W/nowhere/chperms.prom"*) pass "debian check-config: a bad CHPERMS_METRICS fails start with the reason";;
    *) fail "debian check-config" "$out";; esac
finish services
