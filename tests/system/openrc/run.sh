#!/bin/sh
# tests/system/openrc/run.sh BINARY [VERSION...] — chperms as the APKBUILD
# packages it, under real OpenRC: Debian's 0.45.2 (its packages unpacked,
# never installed) and 0.62.10 (built from ../shared/vendor), each booted by
# BusyBox init through its runlevels in a BusyBox root in mount+pid
# namespaces, with BusyBox syslogd; then the periodic job in a root without
# OpenRC. It reads what an operator reads: rc-service's output and exit
# status, rc-status, /var/log/messages (level included), file modes.
#
# Roots and namespaces come from tests/system/lib (SYS_KEEP_ROOT=1 keeps the
# roots for a look afterwards).
# ALPINE_DIR=DIR tests the packaging files of DIR instead of alpine/ (to
# show what an older version got wrong). Ends with "N passed, N failed";
# non-zero on any failure or when it cannot run.
set -u
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$REPO"
bin=${1:?usage: run.sh CHPERMS-BINARY [0.45.2] [0.62.10]}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
shift
versions=${*:-0.45.2 0.62.10}
ALPINE_DIR=${ALPINE_DIR:-$REPO/alpine}
ABUILD_HOME=$REPO/target/system/abuild
SYS_REPO=$REPO SYS_ME=openrc
. tests/system/lib/common.sh
. tests/system/lib/build.sh
. tests/system/lib/root.sh
. tests/system/lib/ns.sh
. tests/system/openrc/abuild.sh
. tests/system/openrc/openrc.sh
started=$(date +%s)

pass=0 fail=0 tag=""
ok() { pass=$((pass + 1)); printf 'ok   %s%s\n' "$tag" "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s%s\n' "$tag" "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'; }
finish() {
	sys_ns_cleanup
	printf 'openrc: %d passed, %d failed (%s s)\n' "$pass" "$fail" "$(($(date +%s) - started))"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}
trap 'sys_ns_cleanup' EXIT
trap 'exit 1' INT TERM
# check NAME CMD...: CMD succeeds. Checks are functions or commands, never
# `sh -c` strings (the helpers exist only in this shell).
# (Its output is in $_out: $out belongs to rc.)
check() { name=$1; shift; if _out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$_out"; return 1; fi; }
eventually() { # eventually SECS NAME CMD...
	secs=$1 name=$2; shift 2
	end=$(($(date +%s) + secs))
	while :; do
		if _out=$("$@" 2>&1); then ok "$name"; return 0; fi
		[ "$(date +%s)" -ge "$end" ] && { bad "$name" "$_out"; return 1; }
		sleep 0.2
	done
}
is() { got=$("$@" 2>&1); [ "$got" = "$want" ] || { echo "wanted '$want', got '$got'"; return 1; }; }
# in_ns SCRIPT: SCRIPT run by /bin/sh (BusyBox ash) in the booted root $R.
in_ns() { sys_ns_sh "$R" "$1"; }
# rc CMD: runs CMD in the root; sets $out (stdout+stderr) and $status.
rc() { out=$(in_ns "$1" 2>&1); status=$?; }
# The syslog as an operator reads it.
messages() { cat "$R/var/log/messages" 2>/dev/null; }
# once TEXT LEVEL: exactly one syslog line holds TEXT, and it is at LEVEL
# (facility.level as BusyBox syslogd writes it, e.g. daemon.warn).
# Counted again a second later: a duplicate (a captured stderr) may lag.
once() {
	for n in 1 2; do
		[ "$n" = 2 ] && sleep 1
		all=$(messages | grep -cF -- "$1") lvl=$(messages | grep -F -- " $2 " | grep -cF -- "$1")
		[ "$all" = 1 ] && [ "$lvl" = 1 ] || { echo "'$1': $all lines, $lvl at $2"; messages | tail -12; return 1; }
	done
}
at_level() { messages | grep -F -- " $2 " | grep -qF -- "$1" || { messages | tail -12; return 1; }; }
# The watcher's PID, once there is exactly one (not while a restart overlaps).
watcher_pid() { p=$(in_ns 'pidof chperms' 2>/dev/null); case "$p" in *" "*) return 1 ;; esac; echo "$p"; }
new_pid() { p=$(watcher_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }
has_arg() { [ -n "$(watcher_pid)" ] || { echo "no watcher running"; return 1; }; in_ns "cat /proc/$(watcher_pid)/cmdline" | tr '\0' '\n' | grep -qxF -- "$1" || { in_ns "cat /proc/$(watcher_pid)/cmdline" | tr '\0' ' '; return 1; }; }
perm() { stat -c '%a %u:%g' "$R$1"; }
# settings 'KEY=VALUE'...: appended to /etc/conf.d/chperms (the last wins), as written.
settings() { printf '%s\n' "$@" >>"$R/etc/conf.d/chperms"; }
ran() { [ "$status" = 0 ] || { echo "exit $status: $out"; return 1; }; }
refused() { [ "$status" != 0 ] && [ "$status" -lt 126 ] || { echo "exit $status: $out"; return 1; }; }
says() { printf '%s\n' "$out" | grep -qF -- "$1" || { echo "output: $out"; return 1; }; }

# --- the packages, made by abuild from the APKBUILD ------------------------------
abuild_tool || { bad "abuild from ../shared/vendor"; finish; }
sys_need_vendor || { bad "the upstream sources (../shared/vendor)"; finish; }
work=$OPENRC_CACHE/run
rm -rf "$work" && mkdir -p "$work"
cp -r "$ALPINE_DIR" "$work/aport"
check "abuild package: chperms and its subpackages from $(basename "$ALPINE_DIR")/APKBUILD" \
	abuild_package "$work/aport" "$bin" || finish
P=$work/aport/pkg

# A vhost in policy, but web/app at 0755 (the policy says 02750): drift that
# the first sweep at boot must report.
make_vhost() {
	printf 'web1:x:1001:1001::/srv/example.org:/bin/sh\n' >>"$R/etc/passwd"
	printf 'web1:x:1001:\n' >>"$R/etc/group"
	mkdir -p "$R/srv/example.org/web/app/public"
	echo hello >"$R/srv/example.org/web/app/public/index.html"
	chroot "$R" /usr/sbin/chperms example.org --root /srv --quiet >/dev/null
	chmod 00755 "$R/srv/example.org/web/app" # 00: clears setgid on a directory too
}

suite_openrc() {
	v=$1
	tag="[OpenRC $v] "
	R=$(sys_root_dir "openrc-$v")
	openrc_root "$R" "$v" "$P/chperms" "$P/chperms-openrc" || { bad "a BusyBox root with OpenRC $v"; return; }
	ln -s /etc/init.d/chperms "$R/etc/runlevels/default/chperms"
	make_vhost
	sys_ns_start "$R" || { bad "the root boots through OpenRC's runlevels"; return; }
	want=started
	eventually 20 "boot through sysinit, boot and default: chperms started" \
		is in_ns 'rc-service chperms status | sed -n "s/.*status: //p"'
	check "rc-status: syslogd and chperms started" sh -c 'printf "%s\n" "$1" | grep -q "chperms.*started" &&
		printf "%s\n" "$1" | grep -q "syslogd.*started"' _ "$(in_ns 'rc-status default' 2>&1)"
	eventually 5 "the first sweep's finding (made before boot) is in syslog once, at daemon.warn" \
		once "/srv/example.org/web/app: mode 02750 (was 0755) [would-fix]" daemon.warn
	eventually 3 "the status line is in syslog once, at daemon.notice" once "1 trees, " daemon.notice
	rc 'rc-service chperms status'
	check "rc-service chperms status: exit 0, 'started'" sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "status: started"' _ "$status" "$out"

	rc 'rc-service chperms stop'
	check "rc-service chperms stop" ran
	rc 'rc-service chperms status'
	check "  then status says stopped (exit 3)" sh -c '[ "$1" = 3 ] && echo "$2" | grep -q "status: stopped"' _ "$status" "$out"
	check "  no watcher left" sh -c '[ -z "$1" ]' _ "$(watcher_pid)"
	rc 'rc-service chperms start'
	check "rc-service chperms start" ran
	pid=$(watcher_pid)
	rc 'rc-service chperms restart'
	check "rc-service chperms restart" ran
	eventually 5 "  a new watcher" new_pid "$pid"

	pid=$(watcher_pid)
	in_ns "kill -9 $pid"
	eventually 12 "respawned after kill -9 (respawn_delay 5 s)" new_pid "$pid"

	# conf.d as an operator writes it, values with spaces and quotes.
	pid=$(watcher_pid)
	settings CHPERMS_FIX=yes 'CHPERMS_ALERT_CMD="/usr/bin/logger -t chperms-alert \"drift found\""'
	rc 'rc-service chperms restart'
	check "restart with CHPERMS_FIX=yes and an alert command with quotes" ran
	eventually 5 "  a new watcher" new_pid "$pid"
	eventually 3 "CHPERMS_ALERT_CMD reaches chperms intact (spaces and quotes)" \
		has_arg '/usr/bin/logger -t chperms-alert "drift found"'
	check "CHPERMS_FIX=yes gives --fix" has_arg --fix
	eventually 5 "the restarted watcher repaired web/app (fix on)" is_perm /srv/example.org/web/app "2750 1001:33"
	chmod 00777 "$R/srv/example.org/web/app/public"
	eventually 5 "drift (0777 on web/app/public) repaired within 5 s" is_perm /srv/example.org/web/app/public "2750 1001:33"
	eventually 3 "  the repair is in syslog once, at daemon.notice" \
		once "/srv/example.org/web/app/public: mode 02750 (was 0777) [fixed]" daemon.notice
	eventually 5 "  the alert command ran, with its argument intact" at_level "chperms-alert: drift found" user.notice

	pid=$(watcher_pid)
	rc 'rc-service chperms reload'
	check "reload with unchanged settings succeeds" ran
	want=$pid
	check "  the same watcher (SIGHUP)" is watcher_pid
	eventually 3 "  'policy re-read' in syslog once, at daemon.notice" once "policy re-read" daemon.notice

	settings CHPERMS_INTERVAL=600
	rc 'rc-service chperms reload'
	check "reload after a conf.d change (CHPERMS_INTERVAL=600) succeeds" ran
	eventually 5 "  and restarts the watcher with the new settings" new_pid "$pid"
	eventually 3 "  which has --interval 600" has_arg 600
	rc 'rc-service chperms status'
	check "  rc-service status: still started" says "status: started"
	pid=$(watcher_pid)

	settings CHPERMS_ROOT=/nonexistent
	rc 'rc-service chperms reload'
	check "reload with a broken setting fails" refused
	check "  says why on the terminal" says "--root /nonexistent: No such file or directory"
	want=$pid
	check "  the watcher keeps running" is watcher_pid

	rc 'rc-service chperms stop'
	rc 'rc-service chperms start'
	check "start with a broken setting (no such root) fails" refused
	check "  the reason is on the terminal" says "--root /nonexistent: No such file or directory"
	eventually 3 "  and in syslog, at daemon.err" at_level "--root /nonexistent: No such file or directory" daemon.err
	sleep 1
	rc 'rc-service chperms status'
	check "  status: not started" sh -c '! echo "$1" | grep -q "status: started"' _ "$out"

	# The issue's case: a policy file that is not there.
	settings CHPERMS_ROOT=/srv 'CHPERMS_TARGETS="--policy /etc/chperms/app.json"'
	rc 'rc-service chperms start'
	check "start with a missing policy file fails (not [ ok ])" refused
	check "  the reason is on the terminal" says "/etc/chperms/app.json"
	eventually 3 "  and in syslog, at daemon.err" at_level "/etc/chperms/app.json" daemon.err
	sleep 6 # respawn_delay: a respawning watcher would show now
	rc 'rc-service chperms status'
	check "  status: not started, a few seconds later too" sh -c '! echo "$1" | grep -q "status: started"' _ "$out"

	settings CHPERMS_TARGETS=--all CHPERMS_SYSLOG=no CHPERMS_LOG=
	rc 'rc-service chperms start'
	check "start with syslog off and no log file fails (findings kept nowhere)" refused
	check "  and says so" says "CHPERMS_LOG"
	settings CHPERMS_LOG=/var/log/chperms.log
	rc 'rc-service chperms start'
	check "start with syslog off and CHPERMS_LOG" ran
	chmod 00700 "$R/srv/example.org/web/app/public"
	eventually 5 "  the repair is in CHPERMS_LOG" grep -qF "/srv/example.org/web/app/public: mode 02750 (was 0700) [fixed]" "$R/var/log/chperms.log"
	eventually 3 "  and the status line too (stderr goes there)" grep -qF "directories watched" "$R/var/log/chperms.log"
	check "  and nothing of it in syslog" sh -c '! grep -qF "(was 0700)" "$1"' _ "$R/var/log/messages"
	in_ns 'rc-service chperms stop' >/dev/null 2>&1
	sys_ns_stop "$R"
	tag=""
}
is_perm() { want=$2; is perm "$1"; }

# The periodic job in a root with the main package only: no OpenRC, as on a
# system that runs BusyBox crond (which runs /etc/periodic/15min through run-parts).
suite_periodic() {
	tag="[periodic, no OpenRC] "
	R=$(sys_root_dir periodic)
	sys_root_new "$R"
	rm -f "$R/var" && mkdir -p "$R/var/log"
	sys_root_daemon "$R" 10-syslogd 'syslogd -n -O /var/log/messages' 'test -S /dev/log'
	sys_root_install "$R" "$P/chperms/usr/sbin/chperms" /usr/sbin/chperms
	cp -a "$P/chperms/." "$R/"
	check "the main package brings the job and its settings" test -x "$R/etc/periodic/15min/chperms" -a -f "$R/etc/conf.d/chperms"
	check "no OpenRC in this root" sh -c '! test -e "$1/sbin/openrc-run"' _ "$R"
	make_vhost
	sys_ns_start "$R" || { bad "the root starts"; return; }
	eventually 5 "syslogd runs" in_ns 'test -S /dev/log'
	rc 'run-parts /etc/periodic/15min'
	check "shipped settings (CHPERMS_PERIODIC=no): run-parts runs it, nothing happens" sh -c '[ "$1" = 0 ] && [ -z "$2" ]' _ "$status" "$out"
	settings CHPERMS_PERIODIC=yes
	rc 'run-parts /etc/periodic/15min'
	check "report mode with drift: prints nothing and exits 0 (nothing for cron to mail)" sh -c '[ "$1" = 0 ] && [ -z "$2" ]' _ "$status" "$out"
	eventually 3 "  the drift is in syslog once, at daemon.warn" once "/srv/example.org/web/app: mode 02750 (was 0755) [would-fix]" daemon.warn
	settings CHPERMS_FIX=yes
	rc 'run-parts /etc/periodic/15min'
	check "fix mode: prints nothing, exits 0" sh -c '[ "$1" = 0 ] && [ -z "$2" ]' _ "$status" "$out"
	want="2750 1001:33"
	check "  the drift is corrected" is perm /srv/example.org/web/app
	eventually 3 "  the repair is in syslog once, at daemon.notice" once "/srv/example.org/web/app: mode 02750 (was 0755) [fixed]" daemon.notice
	settings CHPERMS_ROOT=/nonexistent
	rc 'run-parts /etc/periodic/15min'
	check "a broken setting: the reason is printed (cron mails it), the job fails" sh -c '[ "$1" != 0 ] && echo "$2" | grep -qF -- "--root /nonexistent"' _ "$status" "$out"
	eventually 3 "  and it is in syslog, at daemon.err" at_level "--root /nonexistent: No such file or directory" daemon.err
	# The test users of check() on a bare BusyBox: no useradd, no adduser.
	cp "$REPO/tests/setup-users.sh" "$R/root/"
	rc 'sh /root/setup-users.sh && sh /root/setup-users.sh && id -u chpv1 && id -u chpout && id -g www-data && cut -d: -f3 /etc/passwd | grep -x 1000'
	want="1101 1199 33 1000"
	check "tests/setup-users.sh on BusyBox without useradd/adduser (twice: idempotent)" sh -c '[ "$1" = 0 ] && [ "$(echo $2)" = "$3" ]' _ "$status" "$out" "$want"
	sys_ns_stop "$R"
	tag=""
}

for v in $versions; do suite_openrc "$v"; done
suite_periodic
finish
