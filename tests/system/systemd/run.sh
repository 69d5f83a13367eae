#!/bin/sh
# tests/system/systemd/run.sh DEB — the .deb under a real systemd (Debian
# bookworm in systemd-nspawn, see container.sh), read the way an operator
# reads it: systemctl and journalctl.
#
# dpkg -i; systemd-analyze verify; a broken setting fails `start` with the
# reason in the journal; the watcher repairs drift within 5 s and the journal
# has each finding once at its level; respawn after kill -9; reload re-reads
# the policy (and restarts on changed settings, refuses broken ones); the
# timer fires the 5-minute check (the seed's /opt/wegweiser job); stop;
# dpkg -r keeps a modified conffile, dpkg -P removes it.
# Ends with "N passed, N failed"; non-zero on any failure or if it cannot run.
set -u
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$REPO"
deb=${1:?usage: run.sh CHPERMS.deb}
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
. tests/system/systemd/container.sh
started=$(date +%s)

pass=0 fail=0
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'; }
finish() {
	container_stop
	printf 'systemd: %d passed, %d failed (%s s)\n' "$pass" "$fail" "$(($(date +%s) - started))"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}
trap 'container_stop' EXIT
trap 'exit 1' INT TERM
# check NAME CMD...: CMD succeeds. Checks are shell functions or commands,
# never `sh -c` strings (the helpers below exist only in this shell).
check() { name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi; }
# eventually SECS NAME CMD...: CMD succeeds within SECS seconds.
eventually() {
	secs=$1 name=$2; shift 2
	end=$(($(date +%s) + secs))
	while :; do
		if out=$("$@" 2>&1); then ok "$name"; return 0; fi
		[ "$(date +%s)" -ge "$end" ] && { bad "$name" "$out"; return 1; }
		sleep 0.2
	done
}
# fails CMD...: CMD ran and exited 1..125 (not "not found", not a signal).
fails() {
	"$@"
	rc=$?
	[ "$rc" -ge 1 ] && [ "$rc" -le 125 ] || { echo "exit status $rc"; return 1; }
}
# The journal of UNIT as message lines; "-p LEVEL" keeps that level only.
journal() { unit=$1; shift; inside journalctl -q --no-pager -o cat -u "$unit" "$@"; }
# count_in UNIT TEXT [FROM..TO]: how many journal lines of UNIT hold TEXT.
count_in() {
	if [ -n "${3:-}" ]; then journal "$1" -p "$3"; else journal "$1"; fi | grep -cF -- "$2"
}
# once UNIT TEXT LEVELS: exactly one line holds TEXT, at a level in LEVELS
# (journalctl -p syntax: "notice..notice", "notice..info").
once() {
	all=$(count_in "$1" "$2") lvl=$(count_in "$1" "$2" "$3")
	[ "$all" = 1 ] && [ "$lvl" = 1 ] || {
		echo "'$2' in journalctl -u $1: $all lines, $lvl at $3"
		journal "$1" | tail -15
		return 1
	}
}
# at_least_once UNIT TEXT LEVELS
at_least_once() {
	[ "$(count_in "$1" "$2" "$3")" -ge 1 ] || { journal "$1" | tail -15; return 1; }
}
mode_owner() { inside stat -c '%a %U:%G' "$1"; }
# is CMD...: CMD prints exactly $want.
is() { got=$("$@" 2>&1); [ "$got" = "$want" ] || { echo "wanted '$want', got '$got'"; return 1; }; }
# settings 'KEY=VALUE'...: appended to /etc/default/chperms (the last wins),
# as an operator's edit would be: written as is, quotes and all.
settings() { printf '%s\n' "$@" | inside sh -c 'cat >>/etc/default/chperms'; }
main_pid() { inside systemctl show -p MainPID --value chperms.service; }
cmdline() { inside cat "/proc/$1/cmdline" | tr '\0' '\n'; }
has_arg() { cmdline "$(main_pid)" | grep -qxF -- "$1" || { cmdline "$(main_pid)"; return 1; }; }
# new_pid OLD: the watcher runs, under another PID than OLD.
new_pid() { p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$1" ] && inside systemctl is-active -q chperms.service; }
perm_is() { [ "$(inside stat -c %a "$1")" = "$2" ]; }

container_tools || { bad "install debootstrap and systemd-container"; finish; }
container_root || { bad "a Debian bookworm root from debootstrap (cached in $SYSTEMD_CACHE)"; finish; }
# The test trees on tmpfs: on the overlay root, files that are not copied up
# keep the lower layer's st_dev, which chperms rightly takes for a mount.
container_boot --bind-ro="$(dirname "$deb"):/mnt/deb" --tmpfs=/srv --tmpfs=/opt || { bad "systemd boots in the container"; finish; }
ok "systemd boots in systemd-nspawn ($(inside systemctl --version | head -1))"

# --- install ---------------------------------------------------------------
lists_files() {
	l=$(inside dpkg -L chperms) || return 1
	for f in /usr/sbin/chperms /usr/libexec/chperms/chperms-service /lib/systemd/system/chperms.service \
		/lib/systemd/system/chperms-check.service /lib/systemd/system/chperms-check.timer \
		/etc/default/chperms /usr/share/doc/chperms/copyright; do
		echo "$l" | grep -qx "$f" || { echo "missing $f"; return 1; }
	done
	inside grep -q "Permission is hereby granted" /usr/share/doc/chperms/copyright
}
is_conffile() { inside dpkg-query -W -f '${Conffiles}' chperms | grep -q ' /etc/default/chperms '; }
nothing_enabled() {
	[ "$(inside systemctl is-enabled chperms.service chperms-check.timer | sort -u)" = disabled ] &&
		fails inside systemctl is-active -q chperms.service
}
check "dpkg -i $(basename "$deb")" inside dpkg -i "/mnt/deb/$(basename "$deb")"
check "dpkg -L lists the binary, helper, units, conffile and license" lists_files
check "/etc/default/chperms is a conffile" is_conffile
check "nothing enabled or started on install" nothing_enabled
want=""
check "systemd-analyze verify: no warnings" is inside systemd-analyze verify \
	chperms.service chperms-check.service chperms-check.timer
exposure=$(inside systemd-analyze security chperms.service 2>/dev/null | sed -n 's/.*Overall exposure level for chperms.service: *//p')
echo "     systemd-analyze security chperms.service: $exposure"

# --- test trees: a vhost (built-in model) and the seed's /opt/wegweiser -------
wegweiser_policy() { # wegweiser_policy MODE
	printf '%s\n' '{"base": "/opt/wegweiser", "rules": [' \
		'{"path": "payloads", "type": "dir", "owner": "wegweiser", "group": "www-data", "mode": "'"$1"'", "create": true},' \
		'{"path": "payloads/*", "type": "dir", "owner": "wegweiser", "group": "www-data", "mode": "'"$1"'"}]}' |
		inside sh -c 'cat >/etc/chperms/wegweiser.json'
}
inside sh -e -c '
	useradd -M -d /srv/example.org -u 1001 -U web1
	useradd -M -d /opt/wegweiser -r -U wegweiser
	mkdir -p /srv/example.org/web/app/public /opt/wegweiser/payloads /etc/chperms
	echo hello >/srv/example.org/web/app/public/index.html
	chperms example.org --root /srv --quiet >/dev/null' || bad "set up /srv/example.org in the container"
wegweiser_policy 0775
inside chperms apply --policy /etc/chperms/wegweiser.json --quiet >/dev/null || bad "set up /opt/wegweiser"
pub=/srv/example.org/web/app/public

# --- a broken setting fails start, with the reason in the journal -------------
settings CHPERMS_ROOT=/nonexistent
check "start with CHPERMS_ROOT=/nonexistent fails" fails inside systemctl start chperms.service
want=failed
check "  the unit is failed, not running" is inside systemctl is-active chperms.service
sleep 6 # RestartSec: a restart loop would show now
check "  and stays failed (no restart loop on a broken setting)" is inside systemctl is-active chperms.service
check "  journalctl -u chperms gives the reason, at err" \
	at_least_once chperms "/nonexistent: No such file or directory" err..err
inside systemctl reset-failed chperms.service
settings CHPERMS_ROOT=/srv

# --- the watcher --------------------------------------------------------------
settings CHPERMS_FIX=yes 'CHPERMS_ALERT_CMD="/usr/bin/logger -t chperms-alert \"drift found\""'
check "systemctl start chperms (CHPERMS_FIX=yes)" inside systemctl start chperms.service
eventually 10 "the status line is in the journal, at notice/info" \
	at_least_once chperms "directories watched" notice..info
check "CHPERMS_ALERT_CMD reaches chperms as one argument, quotes intact" \
	has_arg '/usr/bin/logger -t chperms-alert "drift found"'
inside chmod 0777 "$pub"
want="2750 web1:www-data"
eventually 5 "drift (0777 on web/app/public) repaired within 5 s" is mode_owner "$pub"
eventually 3 "journalctl -u chperms: the repair once, at notice" once chperms "$pub: mode 02750 (was 02777) [fixed]" notice..notice
inside chown root:root "$pub/index.html"
want="640 web1:www-data"
eventually 5 "drift (root:root index.html) repaired within 5 s" is mode_owner "$pub/index.html"
eventually 3 "journalctl -u chperms: that repair once, at notice" once chperms "$pub/index.html: owner web1 (was root)" notice..notice

# --- respawn ------------------------------------------------------------------
pid=$(main_pid)
case "$pid" in [1-9]*[0-9]) inside sh -c "kill -9 $pid" ;; *) bad "the watcher has a PID (got '$pid')" ;; esac
eventually 15 "restarted after kill -9 (Restart=on-abnormal)" new_pid "$pid"

# --- reload -------------------------------------------------------------------
pid=$(main_pid)
settings 'CHPERMS_TARGETS="--policy /etc/chperms/wegweiser.json"'
check "reload after a settings change (a policy file) succeeds" inside systemctl reload chperms.service
eventually 10 "  and restarts the watcher with the new settings" new_pid "$pid"
check "  which watch the policy's tree" has_arg /etc/chperms/wegweiser.json
pid=$(main_pid)
wegweiser_policy 0770
check "reload with unchanged settings succeeds" inside systemctl reload chperms.service
want="$pid"
check "  and keeps the same process (SIGHUP)" is main_pid
eventually 5 "  the policy is re-read: payloads now 0770" perm_is /opt/wegweiser/payloads 770
eventually 3 "  journalctl -u chperms says 'policy re-read' once, at notice/info" once chperms "policy re-read" notice..info
inside sh -c 'echo "{ broken" >/etc/chperms/wegweiser.json'
check "reload with a broken policy fails" fails inside systemctl reload chperms.service
want="$pid"
check "  the watcher keeps running" is main_pid
eventually 3 "  the reason is in the journal, at err" at_least_once chperms wegweiser.json err..err

# --- stop ---------------------------------------------------------------------
check "systemctl stop chperms" inside systemctl stop chperms.service
want=inactive
check "  inactive (a clean stop is not a failure)" is inside systemctl is-active chperms.service

# --- the 5-minute check (the seed's job) ---------------------------------------
wegweiser_policy 0775
inside sh -c 'chmod 0775 /opt/wegweiser/payloads; mkdir -m 0755 /opt/wegweiser/payloads/queue'
timer_schedule() {
	inside systemctl show -p TimersMonotonic --value chperms-check.timer | tr -d '{}' | tr ';' '\n' |
		sed -n 's/^ *\(OnBootUSec\|OnUnitActiveUSec\) *= *\([^ ]*\) *$/\1=\2/p' | sort | tr '\n' ' ' | sed 's/ $//'
}
want="OnBootUSec=1min OnUnitActiveUSec=5min"
check "the shipped timer: 1 min after boot, then every 5 min" is timer_schedule
# So as not to wait a minute: a drop-in that also fires 1 s after the timer starts.
inside sh -c 'mkdir -p /etc/systemd/system/chperms-check.timer.d &&
	printf "[Timer]\nOnActiveSec=1s\n" >/etc/systemd/system/chperms-check.timer.d/test.conf && systemctl daemon-reload'
check "systemctl start chperms-check.timer" inside systemctl start chperms-check.timer
want="775 wegweiser:www-data"
eventually 15 "the timer ran chperms-check: root:root 0755 payloads/queue corrected" is mode_owner /opt/wegweiser/payloads/queue
eventually 5 "journalctl -u chperms-check: the correction once, at notice" once chperms-check \
	"/opt/wegweiser/payloads/queue: owner wegweiser (was root)" notice..notice
want=inactive
eventually 5 "chperms-check.service finished (not failed)" is inside systemctl is-active chperms-check.service
settings CHPERMS_FIX=no
inside chmod 0700 /opt/wegweiser/payloads/queue
report_run_ok() { inside systemctl start chperms-check.service && fails inside systemctl is-failed -q chperms-check.service; }
check "a report-only run with drift (exit 2) does not fail the unit" report_run_ok
check "  the drift is in the journal once, at warning" once chperms-check \
	"/opt/wegweiser/payloads/queue: mode 0775 (was 0700) [would-fix]" warning..warning
inside systemctl stop chperms-check.timer

# --- remove and purge -----------------------------------------------------------
gone() { for f; do fails inside test -e "$f" >/dev/null || { echo "$f still there"; return 1; }; done; }
check "dpkg -r chperms" inside dpkg -r chperms
check "  the modified /etc/default/chperms is kept" inside grep -qx 'CHPERMS_FIX=no' /etc/default/chperms
check "  /usr/sbin/chperms and the units are gone" gone /usr/sbin/chperms /lib/systemd/system/chperms.service
check "dpkg -P chperms" inside dpkg -P chperms
check "  removes the conffile" gone /etc/default/chperms
finish
