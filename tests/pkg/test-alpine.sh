#!/bin/sh
# tests/pkg/test-alpine.sh — the Alpine packaging files: they parse with
# BusyBox `sh -n`, agree with Cargo.toml, and build the command lines the
# docs promise (OpenRC service and the 15-minute periodic job, run here
# against stubs). Ends with "N passed, N failed"; non-zero on any failure.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
A="$REPO/alpine"
BUSYBOX=${BUSYBOX:-busybox}

pass=0 fail=0
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; }
check() {
	name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}
finish() {
	printf '%d passed, %d failed\n' "$pass" "$fail"
	[ "$fail" -eq 0 ]
	exit $?
}
command -v "$BUSYBOX" >/dev/null || { bad "busybox found (make deps-cross)"; finish; }

for f in APKBUILD chperms.initd chperms.confd chperms.periodic; do
	check "alpine/$f parses with busybox sh -n" "$BUSYBOX" sh -n "$A/$f"
done
check "chperms.initd and chperms.periodic are executable" test -x "$A/chperms.initd" -a -x "$A/chperms.periodic"

cargo_version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$REPO/Cargo.toml" | head -1)
pkgver=$(sed -n 's/^pkgver=//p' "$A/APKBUILD")
check "APKBUILD pkgver ($pkgver) = Cargo.toml version ($cargo_version)" test "$pkgver" = "$cargo_version"
check "APKBUILD has check() running cargo test" \
	sh -c 'sed -n "/^check() {/,/^}/p" "$1" | grep -q "cargo test"' _ "$A/APKBUILD"
check "APKBUILD sources the initd, confd and periodic files" \
	sh -c 'for f in chperms.initd chperms.confd chperms.periodic; do grep -q "^[[:space:]]*$f\$" "$1" || exit 1; done' _ "$A/APKBUILD"
check "APKBUILD installs /usr/sbin/chperms and /etc/periodic/15min/chperms" \
	sh -c 'grep -q "/usr/sbin/chperms" "$1" && grep -q "/etc/periodic/15min/chperms" "$1"' _ "$A/APKBUILD"
check "initd uses supervise-daemon" grep -q '^supervisor="supervise-daemon"' "$A/chperms.initd"
check "initd is an openrc-run script" sh -c 'head -1 "$1" | grep -qx "#!/sbin/openrc-run"' _ "$A/chperms.initd"

# OpenRC: source the initd with stubbed helpers, run start_pre, print command_args.
initd_args() { # initd_args 'CONF ASSIGNMENTS'
	"$BUSYBOX" sh -c '
		yesno() { case "$1" in [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0;; esac; return 1; }
		eerror() { echo "eerror: $*"; }
		. "$2"
		eval "$1"
		start_pre; rc=$?
		echo "$command_args" | tr -s " "
		echo "rc=$rc"
	' _ "$1" "$A/chperms.initd" 2>&1
}
got=$(initd_args ". $A/chperms.confd; CHPERMS_ROOT=/tmp")
check "initd: default conf.d -> watch --all --root /tmp --interval 300 --syslog (got: $got)" \
	test "$got" = 'watch --all --root "/tmp" --interval 300 --syslog 
rc=0'
got=$(initd_args "CHPERMS_TARGETS='a.org b.org' CHPERMS_ROOT=/tmp CHPERMS_FIX=yes CHPERMS_SYSLOG=no CHPERMS_ALERT_CMD='logger -t x'")
check "initd: vhosts, fix, alert command (got: $got)" \
	test "$got" = 'watch a.org b.org --root "/tmp" --interval 300 --fix --alert-cmd "logger -t x" 
rc=0'
got=$(initd_args "CHPERMS_ROOT=/nonexistent-chperms-root")
check "initd: missing root refuses to start (got: $got)" \
	sh -c 'case "$1" in *"eerror: CHPERMS_ROOT /nonexistent-chperms-root is not a directory"*"rc=1") exit 0;; esac; exit 1' _ "$got"

# Periodic: a stub chperms prints its arguments.
work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-alpine-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
printf '#!/bin/sh\necho "chperms $*"\n' >"$work/chperms"
chmod 755 "$work/chperms"
periodic() { # periodic 'CONF FILE CONTENT'
	printf '%s\n' "$1" >"$work/conf"
	CHPERMS_CONF="$work/conf" CHPERMS_PROG="$work/chperms" "$BUSYBOX" sh "$A/chperms.periodic" 2>&1
	echo "rc=$?"
}
got=$(periodic "$(cat "$A/chperms.confd")")
check "periodic: shipped conf.d (CHPERMS_PERIODIC=no) runs nothing (got: $got)" test "$got" = "rc=0"
got=$(periodic "CHPERMS_PERIODIC=yes")
check "periodic: enabled -> chperms check --all --root /srv --quiet --syslog (got: $got)" \
	test "$got" = "chperms check --all --root /srv --quiet --syslog
rc=0"
got=$(periodic "CHPERMS_PERIODIC=yes CHPERMS_FIX=yes CHPERMS_TARGETS='--policy /etc/app.json' CHPERMS_LOG=/var/log/chperms.log")
check "periodic: policy + fix + log (got: $got)" \
	test "$got" = "chperms check --policy /etc/app.json --root /srv --quiet --syslog --fix --log /var/log/chperms.log
rc=0"

finish
