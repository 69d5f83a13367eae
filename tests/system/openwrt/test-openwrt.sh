#!/bin/bash
# tests/system/openwrt/test-openwrt.sh — chperms on OpenWrt's real userland.
#
# In BusyBox roots (tests/system/lib) with OpenWrt's own opkg, apk v3, procd,
# ubusd, uci, jshn and shell files built from ../shared/vendor, the service's
# lifecycle as an operator lives it, once with opkg and the .ipk, once with
# apk v3 and the .apk:
#   install (alternatives, enabled at boot, LICENSE) → the stock-router
#   defaults (no /srv: reported once, no instance, no crash loop) → a vhost:
#   the watcher runs (ubus) → drift reported once at warning → reload after
#   changing fix / the vhost list / all, and the interval through procd's
#   config.change trigger: procd runs the new command line (new pid and argv,
#   the new behaviour on disk) → an unchanged reload: SIGHUP, the policy is
#   re-read (same pid, a changed policy file applied) → stop, restart →
#   upgrade keeps the modified /etc/config/chperms → remove stops the
#   watcher, keeps the modified conffile, gives stat/find back to BusyBox;
# then the mipsel package: refused on an x86_64 root, installed and run
# (under qemu-mipsel, through a private binfmt_misc) once that arch is
# configured.
#
# Needs: the packages from `make ipk` and `make apk` (dist/), root, and
# ../shared/vendor (CHPERMS_VENDOR=DIR); without the latter it says so in one
# line and exits 0. Ends with "N passed, N failed" and its wall time.
# SYS_KEEP_ROOT=1 keeps the roots (target/system/roots/) for a look after.
set -u
SYS_ME=openwrt-system-test
. "$(dirname "$0")/../lib/common.sh"
. "$SYS_LIB/build.sh"
. "$SYS_LIB/root.sh"
. "$SYS_LIB/ns.sh"

sys_need_vendor || exit 0
[ "$(id -u)" = 0 ] || sys_die "run as root (namespaces, chown)"
T0=$(date +%s)
trap 'sys_ns_cleanup' EXIT
trap 'exit 1' INT TERM

DIST=${CROSS_DIST:-$SYS_REPO/dist}
die() { sys_die "$@"; }
. "$SYS_REPO/openwrt-package/pkg-meta.sh"
pkg_meta_load "$SYS_REPO"
V1=$pkg_version
release=${V1##*-r}
V2=${V1%-r*}-r$((release + 1))

sys_build_openwrt
sys_build_apk
# The .apk files (make apk without its cross prerequisite: make test built them).
sh "$SYS_REPO/cross/apk.sh" >/dev/null || sys_die "cross/apk.sh failed"

# The next release (PKG_RELEASE + 1) for the upgrade step. Its binary differs
# from this one's by a trailing NUL byte (an ELF runs the same with it), as
# a rebuilt binary would: the upgrade must restart the watcher on it.
NEXT=$SYS_CACHE/next-release
rm -rf "$NEXT" && mkdir -p "$NEXT"
for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf \
	mipsel-unknown-linux-musl mips-unknown-linux-musl; do
	[ -f "$DIST/$t/chperms" ] || sys_die "$DIST/$t/chperms missing: make cross"
	mkdir -p "$NEXT/$t" && cp "$DIST/$t/chperms" "$NEXT/$t/chperms" && printf '\0' >>"$NEXT/$t/chperms"
done
CHPERMS_PKG_RELEASE=$((release + 1)) CROSS_DIST=$NEXT sh "$SYS_REPO/cross/ipk.sh" >/dev/null ||
	sys_die "cross/ipk.sh for the next release failed"
CHPERMS_PKG_RELEASE=$((release + 1)) CROSS_DIST=$NEXT sh "$SYS_REPO/cross/apk.sh" >/dev/null ||
	sys_die "cross/apk.sh for the next release failed"
IPK1=$DIST/chperms_${V1}_x86_64.ipk
IPK2=$NEXT/chperms_${V2}_x86_64.ipk
IPK_MIPSEL=$DIST/chperms_${V1}_mipsel_24kc.ipk
APK1=$DIST/apk/x86_64/chperms-$V1.apk
APK2=$NEXT/apk/x86_64/chperms-$V2.apk
APK_MIPSEL=$DIST/apk/mipsel_24kc/chperms-$V1.apk
for f in "$IPK1" "$IPK_MIPSEL" "$APK1" "$APK_MIPSEL"; do
	[ -f "$f" ] || sys_die "$f missing: make ipk apk"
done

# --- helpers -------------------------------------------------------------

R=""   # the root in use
PM=""  # opkg or apk
run() { sys_ns_sh "$R" "$1"; }
# log_mark: writes a unique mark into syslog (user.notice, tag test-mark)
# and prints it; log_since MARK: the lines logged after it (a mark,
# not a line count: the ring buffer drops its oldest lines when full).
log_mark() { _mk=$(date +%s%N); run "logger -t test-mark 'mark $_mk'"; echo "$_mk"; }
log_since() { run 'logread' | sed -n "/ test-mark: mark $1\$/,\$p" | sed 1d; }
# count_since MARK PATTERN: lines after MARK matching PATTERN (grep -E).
count_since() { log_since "$1" | grep -cE -- "$2"; }
# The watcher instances procd knows: "NAME PID COMMAND..." per running instance.
instances() {
	run '. /usr/share/libubox/jshn.sh
		json_load "$(ubus call service list "{\"name\":\"chperms\"}")"
		json_select chperms 2>/dev/null || exit 0
		json_select instances 2>/dev/null || exit 0
		json_get_keys names
		for n in $names; do
			json_select "$n"; running=0 pid=""; json_get_vars running pid
			json_select command && { json_get_values c; json_select ..; }
			[ "$running" = 1 ] && echo "$n $pid $c"
			json_select ..
		done'
}
pid_of() { instances | awk -v n="$1" '$1 == n { print $2 }'; }
argv_of() { instances | awk -v n="$1" '$1 == n { $1 = ""; $2 = ""; sub(/^  /, ""); print }'; }
# cmdline PID: the process's real argv, space-separated (what actually runs).
cmdline() { run "tr '\\0' ' ' </proc/$1/cmdline" | sed 's/ $//'; }
mode_of() { run "/bin/busybox stat -c %a '$1'"; }
# wait_for SECS 'SHELL CONDITION run inside the root'
wait_for() { sys_wait_until "$1" sys_ns_sh "$R" "$2"; }
new_pid() { [ -n "$(pid_of "$1")" ] && [ "$(pid_of "$1")" != "$2" ]; }
has_instance() { [ -n "$(pid_of "$1")" ]; }
n_instances() { [ "$(instances | grep -c .)" = "$1" ]; }
# logged MARK N PATTERN: at least N lines after MARK match PATTERN.
# (on failure it prints the lines after MARK, for t_check to show)
logged() { [ "$(count_since "$1" "$3")" -ge "$2" ] || { log_since "$1" | tail -n 8; return 1; }; }
gone() { sys_ns_sh "$R" "! kill -0 $1 2>/dev/null"; }
uci_commit() { run "$1 && uci commit chperms"; }

pm_install() {
	case $PM in
	opkg) run "opkg install '$1'" ;;
	apk) run "apk add --allow-untrusted --no-network '$1'" ;;
	esac
}
pm_remove() {
	case $PM in
	opkg) run 'opkg remove chperms' ;;
	apk) run 'apk del --no-network chperms' ;;
	esac
}
pm_version() {
	case $PM in
	opkg) run 'opkg list-installed chperms' | awk '{ print $3 }' ;;
	apk) run 'apk list -I chperms 2>/dev/null' | sed -n 's/^chperms-\([^ ]*\) .*/\1/p' ;;
	esac
}

# new_root NAME ARCH: a fresh OpenWrt root with $PM for ARCH, running.
new_root() {
	R=$(sys_root_dir "$1")
	sys_root_new "$R"
	sys_root_openwrt "$R"
	case $PM in
	opkg) sys_root_opkg "$R" "$2" ;;
	apk) sys_root_apk "$R" "$2" ;;
	esac
	mkdir -p "$R/root/pkgs/next" "$R/root/pkgs/mipsel"
	cp "$IPK1" "$APK1" "$R/root/pkgs/"
	cp "$IPK2" "$APK2" "$R/root/pkgs/next/"
	cp "$IPK_MIPSEL" "$APK_MIPSEL" "$R/root/pkgs/mipsel/"
	sys_ns_start "$R" || sys_die "the $1 root did not start"
}

# A vhost as an operator makes one: a user whose home it is, a web tree.
add_vhost() { # add_vhost NAME UID
	run "echo '$3:x:$2:$2:$3:/srv/$1:/bin/false' >>/etc/passwd
		echo '$3:x:$2:' >>/etc/group
		mkdir -p /srv/$1/web/app/public
		echo hello >/srv/$1/web/app/public/index.html
		chown -R $2:$2 /srv/$1"
}

# --- the lifecycle, for opkg then apk -------------------------------------

lifecycle() {
	PM=$1
	local P=$PM pkg1 pkg2 out m pid pid2 argv
	case $PM in
	opkg) pkg1=/root/pkgs/${IPK1##*/} pkg2=/root/pkgs/next/${IPK2##*/} ;;
	apk) pkg1=/root/pkgs/${APK1##*/} pkg2=/root/pkgs/next/${APK2##*/} ;;
	esac
	new_root "openwrt-$PM" x86_64
	sys_say "[$P] root $R up: syslogd, ubusd, procd"

	# Install.
	t_check "[$P] install $V1 (x86_64)" pm_install "$pkg1"
	t_eq "[$P] installed version" "$V1" "$(pm_version)"
	t_check "[$P] /usr/sbin/chperms runs" run '/usr/sbin/chperms --version'
	t_eq "[$P] /bin/stat -> /usr/sbin/chperms (alternative)" /usr/sbin/chperms "$(run 'readlink /bin/stat')"
	t_eq "[$P] /usr/bin/find -> /usr/sbin/chperms (alternative)" /usr/sbin/chperms "$(run 'readlink /usr/bin/find')"
	t_eq "[$P] /bin/stat is chperms' stat" "644 root:root" "$(run "/bin/stat -c '%a %U:%G' /etc/config/chperms")"
	t_check "[$P] LICENSE installed" run 'grep -q "MIT License" /usr/share/licenses/chperms/LICENSE'
	t_check "[$P] enabled at boot (/etc/rc.d/S95chperms)" run 'test -L /etc/rc.d/S95chperms'
	t_eq "[$P] option enabled '0': no watcher after install" "" "$(instances)"
	if [ "$PM" = apk ]; then
		t_check "[$P] /lib/apk/packages/chperms.{list,alternatives,conffiles,conffiles_static}" run '
			cd /lib/apk/packages && grep -qx /usr/sbin/chperms chperms.list &&
			grep -q "100:/bin/stat:/usr/sbin/chperms" chperms.alternatives &&
			grep -qx /etc/config/chperms chperms.conffiles && grep -q "^/etc/config/chperms [0-9a-f]\{64\}$" chperms.conffiles_static'
	fi

	# A stock router has no /srv: enabling the shipped defaults must say so
	# once and start nothing (no respawn loop).
	m=$(log_mark)
	out=$(run 'uci set chperms.main.enabled=1 && uci commit chperms && /etc/init.d/chperms start' 2>&1)
	t_check "[$P] stock router: start names the missing /srv and the root option (got: $out)" \
		grep -q '/srv.*No such file.*root' <<<"$out"
	t_eq "[$P] stock router: no watcher instance" "" "$(instances)"
	sleep 6 # longer than procd's respawn delay (5 s)
	t_eq "[$P] stock router: reported once in syslog, no respawn (6 s later)" 1 \
		"$(count_since "$m" 'chperms.*/srv.*No such file')"
	t_eq "[$P] stock router: reported at daemon.err" 1 "$(count_since "$m" 'daemon.err chperms.*/srv.*No such file')"
	t_eq "[$P] stock router: still no watcher" "" "$(instances)"

	# A vhost: /srv/example.org, watched without --fix.
	add_vhost example.org 1101 web1
	t_check "[$P] chperms apply example.org (one-off)" run '/usr/sbin/chperms apply example.org >/dev/null'
	m=$(log_mark)
	uci_commit 'uci set chperms.main.all=0 && uci add_list chperms.main.vhost=example.org'
	run '/etc/init.d/chperms start' >/dev/null 2>&1
	t_check "[$P] the watcher runs (ubus call service list)" sys_wait_until 5 has_instance vhosts
	pid=$(pid_of vhosts)
	t_eq "[$P] its command line (ubus)" "/usr/sbin/chperms watch example.org --root /srv --interval 300 --syslog" "$(argv_of vhosts)"
	t_eq "[$P] its command line (/proc/$pid/cmdline)" "/usr/sbin/chperms watch example.org --root /srv --interval 300 --syslog" "$(cmdline "$pid")"
	sys_wait_until 5 logged "$m" 1 'directories watched'
	t_check "[$P] status line at info/notice: $(log_since "$m" | grep 'directories watched')" \
		logged "$m" 1 'daemon\.(info|notice) chperms.*directories watched'
	t_eq "[$P] status line not at err, logged once" 1 "$(count_since "$m" 'directories watched')"

	# Drift, reported (fix 0): once, at warning, not repaired.
	m=$(log_mark)
	run 'chmod 0777 /srv/example.org/web/app/public/index.html'
	sys_wait_until 5 logged "$m" 1 'index\.html'
	sleep 2 # a duplicate (procd's stdout capture) would be in by now
	t_eq "[$P] drift reported once in syslog" 1 "$(count_since "$m" 'index\.html')"
	t_eq "[$P] ... at daemon.warn" 1 "$(count_since "$m" 'daemon\.warn chperms.*index\.html.*would')"
	t_eq "[$P] ... and not repaired (fix 0)" 777 "$(mode_of /srv/example.org/web/app/public/index.html)"

	# reload after fix=1: procd restarts the watcher with --fix, which repairs.
	m=$(log_mark)
	uci_commit 'uci set chperms.main.fix=1'
	run '/etc/init.d/chperms reload' >/dev/null 2>&1
	t_check "[$P] reload (fix=1): a new watcher process" sys_wait_until 5 new_pid vhosts "$pid"
	pid2=$(pid_of vhosts)
	argv="/usr/sbin/chperms watch example.org --root /srv --interval 300 --fix --syslog"
	t_eq "[$P] reload (fix=1): ubus command has --fix" "$argv" "$(argv_of vhosts)"
	t_eq "[$P] reload (fix=1): the running process has --fix" "$argv" "$(cmdline "$pid2")"
	t_check "[$P] reload (fix=1): drift repaired within 5 s" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /srv/example.org/web/app/public/index.html)" = 640 ]'
	t_eq "[$P] the repair logged once, at daemon.notice" 1 "$(count_since "$m" 'daemon\.notice chperms.*index\.html')"

	# Drift repaired within 5 s by the running watcher (inotify).
	m=$(log_mark)
	run 'chmod 0606 /srv/example.org/web/app/public/index.html'
	t_check "[$P] drift repaired within 5 s" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /srv/example.org/web/app/public/index.html)" = 640 ]'
	sleep 1
	t_eq "[$P] ... logged once" 1 "$(count_since "$m" 'index\.html')"

	# reload after adding a vhost: the new tree is watched and repaired.
	add_vhost example.net 1102 web2
	run 'chmod 0777 /srv/example.net/web/app/public/index.html'
	pid=$(pid_of vhosts)
	uci_commit 'uci add_list chperms.main.vhost=example.net'
	run '/etc/init.d/chperms reload' >/dev/null 2>&1
	t_check "[$P] reload (vhost added): a new watcher process" sys_wait_until 5 new_pid vhosts "$pid"
	pid2=$(pid_of vhosts)
	argv="/usr/sbin/chperms watch example.org example.net --root /srv --interval 300 --fix --syslog"
	t_eq "[$P] reload (vhost added): the running process watches both" "$argv" "$(cmdline "$pid2")"
	t_check "[$P] reload (vhost added): example.net repaired within 5 s" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /srv/example.net/web/app/public/index.html)" = 640 ]'

	# reload after all=1: every vhost, and the root is watched too: a vhost
	# made while the watcher runs is repaired without waiting for the next
	# full sweep (300 s away) and without a restart.
	pid=$pid2
	uci_commit 'uci set chperms.main.all=1'
	run '/etc/init.d/chperms reload' >/dev/null 2>&1
	t_check "[$P] reload (all=1): a new watcher process" sys_wait_until 5 new_pid vhosts "$pid"
	pid2=$(pid_of vhosts)
	argv="/usr/sbin/chperms watch --all --root /srv --interval 300 --fix --syslog"
	t_eq "[$P] reload (all=1): the running process has --all" "$argv" "$(cmdline "$pid2")"
	add_vhost new.example 1103 web3
	run 'chmod 0777 /srv/new.example/web/app/public/index.html'
	t_check "[$P] --all: a vhost made while the watcher runs is repaired within 5 s (interval 300)" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /srv/new.example/web/app/public/index.html)" = 640 ]'
	t_eq "[$P] ... by the same watcher (no restart)" "$pid2" "$(pid_of vhosts)"
	# The interval, committed the way reload_config does it: procd's
	# config.change trigger runs /etc/init.d/chperms reload.
	m=$(log_mark)
	pid=$pid2
	uci_commit 'uci set chperms.main.interval=2'
	run 'ubus call service event "{\"type\":\"config.change\",\"data\":{\"package\":\"chperms\"}}"'
	t_check "[$P] config.change trigger (interval=2): a new watcher process" sys_wait_until 8 new_pid vhosts "$pid"
	pid2=$(pid_of vhosts)
	argv="/usr/sbin/chperms watch --all --root /srv --interval 2 --fix --syslog"
	t_eq "[$P] config.change trigger: the running process has --interval 2" "$argv" "$(cmdline "$pid2")"
	sys_wait_until 5 logged "$m" 1 'full sweep every 2 s'
	t_check "[$P] interval 2: 'full sweep every 2 s' in syslog" logged "$m" 1 'full sweep every 2 s'
	# A vhost made now is repaired by the new watcher.
	add_vhost new2.example 1104 web4
	run 'chmod 0777 /srv/new2.example/web/app/public/index.html'
	t_check "[$P] interval 2: a vhost made after the restart is repaired within 5 s" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /srv/new2.example/web/app/public/index.html)" = 640 ]'
	t_eq "[$P] ... by the same watcher (no restart)" "$pid2" "$(pid_of vhosts)"

	# A policy file gets its own instance; an unchanged reload sends SIGHUP
	# to every watcher and a changed policy file is applied without restart.
	run 'mkdir -p /etc/chperms /opt/app && cat >/etc/chperms/app.json <<EOF
{"base": "/opt/app", "rules": [{"path": "data", "type": "dir", "owner": "root", "group": "www-data", "mode": "0750", "create": true}]}
EOF'
	uci_commit 'uci add_list chperms.main.policy=/etc/chperms/app.json'
	pid=$(pid_of vhosts)
	run '/etc/init.d/chperms reload' >/dev/null 2>&1
	t_check "[$P] reload (policy added): a policy1 watcher" sys_wait_until 5 has_instance policy1
	t_check "[$P] policy1 created /opt/app/data 0750" wait_for 5 '[ "$(/bin/busybox stat -c "%a %G" /opt/app/data)" = "750 www-data" ]'
	t_eq "[$P] the vhosts watcher kept its pid (command unchanged)" "$pid" "$(pid_of vhosts)"
	m=$(log_mark)
	local ppid
	ppid=$(pid_of policy1)
	run "sed -i 's/0750/0770/' /etc/chperms/app.json"
	out=$(run '/etc/init.d/chperms reload' 2>&1)
	t_check "[$P] unchanged reload: 'policy re-read' by both watchers" \
		sys_wait_until 5 logged "$m" 2 'policy re-read'
	t_check "[$P] ... at daemon.info/notice" logged "$m" 2 'daemon\.(info|notice) chperms.*policy re-read'
	t_eq "[$P] unchanged reload: same vhosts pid" "$pid" "$(pid_of vhosts)"
	t_eq "[$P] unchanged reload: same policy1 pid" "$ppid" "$(pid_of policy1)"
	t_check "[$P] unchanged reload: the changed policy applied (0770)" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /opt/app/data)" = 770 ]'

	# stop, restart.
	run '/etc/init.d/chperms stop' >/dev/null 2>&1
	t_check "[$P] stop: no watcher left" sys_wait_until 5 n_instances 0
	t_check "[$P] stop: the processes are gone" sys_wait_until 5 gone "$pid"
	run '/etc/init.d/chperms restart' >/dev/null 2>&1
	t_check "[$P] restart: both watchers run" sys_wait_until 5 n_instances 2
	t_eq "[$P] restart: two instances (vhosts, policy1)" "policy1 vhosts" "$(instances | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//')"
	t_eq "[$P] status: running" running "$(run '/etc/init.d/chperms status' 2>&1 | head -1)"

	# Upgrade: the modified /etc/config/chperms stays.
	local before
	pid=$(pid_of vhosts)
	before=$(run 'cat /etc/config/chperms')
	out=$(pm_install "$pkg2" 2>&1)
	t_check "[$P] upgrade to $V2 (got: $(echo "$out" | tail -3))" test "$(pm_version)" = "$V2"
	t_eq "[$P] upgrade kept the modified /etc/config/chperms" "$before" "$(run 'cat /etc/config/chperms')"
	case $PM in
	opkg) t_check "[$P] upgrade wrote the new default as /etc/config/chperms-opkg" run "grep -q \"option enabled '0'\" /etc/config/chperms-opkg" ;;
	apk) t_check "[$P] upgrade wrote the new default as /etc/config/chperms.apk-new" run "grep -q \"option enabled '0'\" /etc/config/chperms.apk-new" ;;
	esac
	t_check "[$P] upgrade: the watcher restarted on the new binary" sys_wait_until 5 new_pid vhosts "$pid"
	t_eq "[$P] upgrade: it runs the installed binary (not a deleted one)" \
		/usr/sbin/chperms "$(run "readlink /proc/$(pid_of vhosts)/exe")"

	# Remove: stops the watchers, keeps the modified conffile, gives stat/find back.
	pid=$(pid_of vhosts)
	out=$(pm_remove 2>&1)
	t_check "[$P] remove (got: $(echo "$out" | tail -3))" test -z "$(pm_version)"
	# procd drops an instance once its process has exited (SIGTERM, then
	# the exit is reaped): give it the same 5 s as the stop above.
	t_check "[$P] remove: no watcher left (ubus)" sys_wait_until 5 n_instances 0
	t_check "[$P] remove: the watcher process is gone" sys_wait_until 5 gone "$pid"
	t_check "[$P] remove: /usr/sbin/chperms gone" run '! test -e /usr/sbin/chperms'
	t_eq "[$P] remove: the modified /etc/config/chperms kept" "$before" "$(run 'cat /etc/config/chperms 2>&1')"
	t_eq "[$P] remove: /bin/stat back to BusyBox" /bin/busybox "$(run 'readlink /bin/stat')"
	t_eq "[$P] remove: /usr/bin/find back to BusyBox" /bin/busybox "$(run 'readlink /usr/bin/find')"
	t_eq "[$P] remove: /bin/stat works (BusyBox)" 755 "$(run '/bin/stat -c %a /etc/rc.common')"
	t_check "[$P] remove: disabled at boot" run '! test -e /etc/rc.d/S95chperms'
	sys_ns_stop "$R"

	mipsel
}

# The mipsel package: refused on an x86_64 root; installed and run once the
# operator configures that arch (under qemu-mipsel via a private binfmt_misc).
mipsel() {
	local P="$PM mipsel" pkg out
	case $PM in
	opkg) pkg=/root/pkgs/mipsel/${IPK_MIPSEL##*/} ;;
	apk) pkg=/root/pkgs/mipsel/${APK_MIPSEL##*/} ;;
	esac
	SYS_NS_BINFMT=mipsel new_root "openwrt-$PM-mipsel" x86_64
	out=$(pm_install "$pkg" 2>&1)
	t_check "[$P] refused on an x86_64 root" test -z "$(pm_version)"
	case $PM in
	opkg) t_check "[$P] ... because of its arch (opkg)" grep -q 'incompatible with the architectures configured' <<<"$out" ;;
	apk) t_check "[$P] ... because of its arch (apk)" grep -q 'arch: mipsel_24kc' <<<"$out" ;;
	esac
	case $PM in
	opkg) sys_root_opkg_arch "$R" mipsel_24kc ;;
	apk) echo mipsel_24kc >>"$R/etc/apk/arch" ;;
	esac
	out=$(pm_install "$pkg" 2>&1)
	t_check "[$P] installs with mipsel_24kc configured (got: $(echo "$out" | tail -2))" test "$(pm_version)" = "$V1"
	t_check "[$P] the installed binary is MIPS (file)" sh -c 'file -L "$1" | grep -q "32-bit LSB.*MIPS"' _ "$R/usr/sbin/chperms"
	t_check "[$P] chperms --version runs (qemu-mipsel)" run '/usr/sbin/chperms --version'
	t_eq "[$P] /bin/stat (chperms under qemu)" "644 root:root" "$(run "/bin/stat -c '%a %U:%G' /etc/config/chperms")"
	add_vhost example.org 1101 web1
	run 'chmod 0777 /srv/example.org/web/app/public/index.html'
	uci_commit 'uci set chperms.main.enabled=1 && uci set chperms.main.fix=1 && uci set chperms.main.all=1'
	run '/etc/init.d/chperms start' >/dev/null 2>&1
	t_check "[$P] the watcher runs under procd" sys_wait_until 5 has_instance vhosts
	t_check "[$P] it repairs the drift within 5 s" \
		wait_for 5 '[ "$(/bin/busybox stat -c %a /srv/example.org/web/app/public/index.html)" = 640 ]'
	t_check "[$P] remove" pm_remove
	sys_ns_stop "$R"
}

# The release tarball (make dist): what the SDK and abuild download. Built
# into a scratch dist (sha256 mode: the feed Makefile is not touched).
release_tarball() {
	local d=$SYS_CACHE/dist-test name h1 h2 top
	rm -rf "$d" && mkdir -p "$d"
	name=$(sh "$SYS_REPO/cross/dist.sh" name)
	h1=$(CROSS_DIST=$d sh "$SYS_REPO/cross/dist.sh" sha256 2>/dev/null)
	t_check "[dist] make dist writes $name" test -f "$d/$name"
	rm -f "$d/$name" "$d/$name.key"
	h2=$(CROSS_DIST=$d sh "$SYS_REPO/cross/dist.sh" sha256 2>/dev/null)
	t_eq "[dist] rebuilt, the same bytes (sha256)" "$h1" "$h2"
	t_check "[dist] sha512 line for abuild: '<hash>  $name'" \
		sh -c 'CROSS_DIST="$1" sh "$2/cross/dist.sh" sha512 2>/dev/null | grep -qx "[0-9a-f]\{128\}  $3"' _ "$d" "$SYS_REPO" "$name"
	tar -xzf "$d/$name" -C "$d"
	top=$d/${name%.tar.gz}
	t_check "[dist] holds vendor/ and .cargo/config.toml" test -d "$top/vendor/libc" -a -f "$top/.cargo/config.toml"
	t_check "[dist] leaves out the files that hold its hash" \
		test ! -e "$top/openwrt-package/Makefile" -a ! -e "$top/alpine/APKBUILD"
	# Offline, with no crate cache: as the SDK and abuild build it.
	t_check "[dist] builds offline (cargo build --offline --locked, empty CARGO_HOME)" \
		sh -c 'cd "$1" && CARGO_HOME="$1/.cargo-home" CARGO_TARGET_DIR="$1/target" \
			cargo build --offline --locked --quiet && ./target/debug/chperms --version' _ "$top"
	rm -rf "$d"
}

lifecycle opkg
lifecycle apk
release_tarball

T1=$(date +%s)
sys_say "wall time $((T1 - T0)) s"
t_finish
