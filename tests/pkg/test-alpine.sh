#!/bin/sh
# tests/pkg/test-alpine.sh — the Alpine packaging, checked by Alpine's own
# tools where they run here: abuild's `validate` (from ../shared/vendor, under
# BusyBox ash), the package split done by abuild's own package/split code,
# the checksums; then the OpenRC script's and the periodic job's command
# lines (with a stub chperms that prints its arguments). The service itself
# runs under real OpenRC in tests/system/openrc/run.sh.
# Ends with "N passed, N failed"; non-zero on any failure.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
A="$REPO/alpine"
BUSYBOX=${BUSYBOX:-busybox}
cd "$REPO"
. tests/system/openrc/abuild.sh

pass=0 fail=0
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'; }
# check NAME CMD...: CMD succeeds (its output is shown when it does not).
check() { name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; return 1; fi; }
# is NAME WANT GOT
is() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "wanted:
$2
got:
$3"; fi; }
finish() {
	printf 'alpine: %d passed, %d failed\n' "$pass" "$fail"
	[ "$fail" -eq 0 ]
	exit $?
}
# --update-checksums: rewrite the local sources' sha512sums lines (after
# editing alpine/chperms.*), keeping the release tarball's line.
if [ "${1:-}" = --update-checksums ]; then
	for f in $(apkbuild_local_sources "$A"); do
		sum=$(sha512sum "$A/$f" | cut -d' ' -f1)
		sed -i "s/^[0-9a-f]\{128\}  $f\$/$sum  $f/" "$A/APKBUILD"
	done
	echo "alpine/APKBUILD: sha512sums of the local sources updated"
	exit 0
fi
command -v "$BUSYBOX" >/dev/null || { bad "busybox found (make deps-cross)"; finish; }
work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-alpine-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

for f in APKBUILD chperms.initd chperms.confd chperms.periodic; do
	check "alpine/$f parses with busybox sh -n" "$BUSYBOX" sh -n "$A/$f"
done
check "chperms.initd and chperms.periodic are executable" test -x "$A/chperms.initd" -a -x "$A/chperms.periodic"
cargo_version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$REPO/Cargo.toml" | head -1)
pkgver=$(sed -n 's/^pkgver=//p' "$A/APKBUILD")
is "APKBUILD pkgver = Cargo.toml version" "$cargo_version" "$pkgver"

# --- abuild's own checks ---------------------------------------------------------
if abuild_tool; then
	cp -r "$A" "$work/aport"
	out=$(abuild_in "$work/aport" validate 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -q WARNING; then
		ok "abuild validate: passes, no warnings"
	else
		bad "abuild validate: passes, no warnings (exit $rc)" "$out"
	fi
else
	bad "abuild from ../shared/vendor/abuild-*.tar.gz"
fi

# Every local source's sha512 is the one in sha512sums (abuild verify would
# say so on an Alpine builder; the release tarball's line is written by make dist).
sums_match() {
	for f in $(apkbuild_local_sources "$A"); do
		want=$(sed -n "/^sha512sums=\"/,/\"/s/^\([0-9a-f]\{128\}\)  $f\$/\1/p" "$A/APKBUILD")
		got=$(sha512sum "$A/$f" | cut -d' ' -f1)
		[ -n "$want" ] && [ "$want" = "$got" ] || { echo "$f: sha512sums has '${want:-nothing}', the file is $got"; return 1; }
	done
}
check "sha512sums: every local source matches its file" sums_match
# The release tarball's line, once `make dist` has written the tarball.
tarball="$REPO/dist/chperms-$pkgver.tar.gz"
if [ -f "$tarball" ]; then
	want=$(sed -n "s/^\([0-9a-f]\{128\}\)  chperms-$pkgver.tar.gz\$/\1/p" "$A/APKBUILD")
	is "sha512sums: the release tarball (dist/chperms-$pkgver.tar.gz)" "$(sha512sum "$tarball" | cut -d' ' -f1)" "$want"
else
	echo "note dist/chperms-$pkgver.tar.gz not built (make dist): its sha512sums line is not checked"
fi

# --- the package, split by abuild itself ------------------------------------------
# package() runs as abuild runs it (in $builddir, a release tree: the binary
# where cargo puts it, LICENSE), then abuild's own split functions.
files_of() { (cd "$1" 2>/dev/null && find . ! -type d | sed 's|^\./|/|' | sort | tr '\n' ' ' | sed 's/ $//'); }
# A stub chperms: says how it was called on stderr (where the initd lets
# --check-config's messages through).
printf '#!/bin/sh\necho "stub chperms $*" >&2\n' >"$work/stub-chperms"
chmod 755 "$work/stub-chperms"
cp -r "$A" "$work/pkgtest"
if check "abuild package + split (openrc, doc)" abuild_package "$work/pkgtest" "$work/stub-chperms"; then
	is "chperms: the binary, the settings and the periodic job (works without OpenRC)" \
		"/etc/conf.d/chperms /etc/periodic/15min/chperms /usr/sbin/chperms" "$(files_of "$work/pkgtest/pkg/chperms")"
	is "chperms-openrc: the init script only" "/etc/init.d/chperms" "$(files_of "$work/pkgtest/pkg/chperms-openrc")"
	is "chperms-doc: LICENSE and README" "/usr/share/doc/chperms/README.alpine.md /usr/share/licenses/chperms/LICENSE" \
		"$(files_of "$work/pkgtest/pkg/chperms-doc")"
	check "  the LICENSE is the repository's" cmp "$REPO/LICENSE" "$work/pkgtest/pkg/chperms-doc/usr/share/licenses/chperms/LICENSE"
fi
checkdepends=$(sed -n 's/^checkdepends="\(.*\)"/\1/p' "$A/APKBUILD")
check "checkdepends lists what the root test suite runs (python3, setpriv; got: $checkdepends)" \
	sh -c 'for p in python3 setpriv; do echo " $1 " | grep -q " $p " || exit 1; done' _ "$checkdepends"

# check() on an unprivileged builder runs the unit tests (`--lib --bins`): they
# must pass as a user who is not root (here: nobody), without test users.
unit_tests_unprivileged() {
	exes=$(cargo test --locked --lib --bins --no-run --message-format=json 2>/dev/null |
		sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
	[ -n "$exes" ] || { echo "cargo test --no-run built no test binary"; return 1; }
	mkdir -p "$work/unit" && chmod 755 "$work" "$work/unit"
	for e in $exes; do
		cp "$e" "$work/unit/" && chmod 755 "$work/unit/${e##*/}"
		(cd "$work/unit" && setpriv --reuid=65534 --regid=65534 --clear-groups env -i HOME=/nonexistent \
			PATH=/usr/bin:/bin "./${e##*/}" -q) || return 1
	done
}
check "check() as an unprivileged builder: the unit tests pass as nobody" unit_tests_unprivileged

# --- the OpenRC script: its command line, as OpenRC would eval it --------------------
# Sources the initd with OpenRC's helpers stubbed, runs FUNCTION, and prints
# the arguments command_args gives after OpenRC's eval, one per line.
initd() { # initd 'CONF ASSIGNMENTS' FUNCTION
	"$BUSYBOX" sh -c '
		yesno() { case "$1" in [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0;; esac; return 1; }
		eerror() { echo "eerror: $*"; }
		ewarn() { echo "ewarn: $*"; }
		need() { echo "need $*"; }; use() { echo "use $*"; }; after() { echo "after $*"; }
		. "$2"
		command=$4
		eval "$1"
		$3; rc=$?
		[ "$3" = depend ] && exit $rc
		eval "set -- $command_args"
		for a in "$@"; do echo "[$a]"; done
		echo "error_log=${error_log-unset}"
		echo "rc=$rc"
	' _ "$1" "$A/chperms.initd" "$2" "$work/stub-chperms" 2>&1
}
got=$(initd ". $A/chperms.confd; CHPERMS_ROOT=$work" start_pre)
is "initd: the shipped conf.d gives watch --all --root R --interval 300 --syslog" "stub chperms watch --all --root $work --interval 300 --syslog --check-config
[watch]
[--all]
[--root]
[$work]
[--interval]
[300]
[--syslog]
error_log=unset
rc=0" "$got"
got=$(initd "CHPERMS_TARGETS='a.org b.org' CHPERMS_ROOT='$work/my root' CHPERMS_FIX=yes CHPERMS_ALERT_CMD='/usr/local/bin/alert --subject \"drift found\" it'\\''s' CHPERMS_OPTS='--web-group nginx'" start_pre)
is "initd: conf.d values with spaces and quotes reach chperms intact" "stub chperms watch a.org b.org --root $work/my root --interval 300 --fix --syslog --alert-cmd /usr/local/bin/alert --subject \"drift found\" it's --web-group nginx --check-config
[watch]
[a.org]
[b.org]
[--root]
[$work/my root]
[--interval]
[300]
[--fix]
[--syslog]
[--alert-cmd]
[/usr/local/bin/alert --subject \"drift found\" it's]
[--web-group]
[nginx]
error_log=unset
rc=0" "$got"
got=$(initd "CHPERMS_ROOT=$work CHPERMS_SYSLOG=no CHPERMS_LOG=" start_pre)
check "initd: syslog off and no log file refuses to start (findings kept nowhere)" \
	sh -c 'case "$1" in *"eerror: "*"CHPERMS_LOG"*"rc=1") exit 0;; esac; echo "$1"; exit 1' _ "$got"
got=$(initd "CHPERMS_ROOT=$work CHPERMS_SYSLOG=no CHPERMS_LOG=/var/log/chperms.log" start_pre)
check "initd: syslog off: stderr (status lines, errors) goes to CHPERMS_LOG too" \
	sh -c 'case "$1" in *"error_log=/var/log/chperms.log"*"rc=0") exit 0;; esac; echo "$1"; exit 1' _ "$got"
got=$(initd "" depend | tr '\n' ';')
check "initd: depend() uses logger (any syslog daemon that provides it)" \
	sh -c 'case "$1" in *"use logger"*) exit 0;; esac; echo "$1"; exit 1' _ "$got"
check "initd: no output_logger/error_logger (chperms logs itself: --syslog)" \
	sh -c '! grep -Eq "^[[:space:]]*(output|error)_logger=" "$1"' _ "$A/chperms.initd"

# --- the periodic job, with a stub chperms --------------------------------------------
# periodic 'CONF FILE CONTENT' [STUB EXIT STATUS]: prints the job's output and status.
periodic() {
	printf '%s\n' "$1" >"$work/conf"
	printf '#!/bin/sh\necho "chperms $*" >>"%s"\necho "a finding on stdout"\n[ "%s" = 1 ] && echo "chperms: an error" >&2\nexit %s\n' \
		"$work/args" "${2:-0}" "${2:-0}" >"$work/chperms"
	chmod 755 "$work/chperms"
	: >"$work/args"
	CHPERMS_CONF="$work/conf" CHPERMS_PROG="$work/chperms" "$BUSYBOX" sh "$A/chperms.periodic" 2>&1
	echo "rc=$?"
}
got=$(periodic "$(cat "$A/chperms.confd")")
is "periodic: the shipped conf.d (CHPERMS_PERIODIC=no) runs nothing" "rc=0" "$got$(cat "$work/args")"
got=$(periodic "CHPERMS_PERIODIC=yes")
is "periodic: enabled: chperms check --all --root /srv --quiet --syslog, prints nothing" \
	"rc=0chperms check --all --root /srv --quiet --syslog" "$got$(cat "$work/args")"
got=$(periodic "CHPERMS_PERIODIC=yes CHPERMS_FIX=yes CHPERMS_TARGETS='--policy /etc/app.json' CHPERMS_LOG=/var/log/chperms.log")
is "periodic: policy + fix + log" \
	"rc=0chperms check --policy /etc/app.json --root /srv --quiet --syslog --fix --log /var/log/chperms.log" "$got$(cat "$work/args")"
got=$(periodic "CHPERMS_PERIODIC=yes" 2)
is "periodic: drift reported (exit 2) is not a failure for run-parts/cron" "rc=0" "$got"
got=$(periodic "CHPERMS_PERIODIC=yes" 1)
is "periodic: an error is printed (cron mails it) and fails the job" "chperms: an error
rc=1" "$got"

finish
