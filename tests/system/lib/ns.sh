# tests/system/lib/ns.sh — run a root (from root.sh) in its own namespaces.
# Sourced after common.sh, never run. Offers:
#
#   sys_ns_start ROOT     start ROOT: new mount, pid, ipc and uts namespaces
#                         (net too with SYS_NS_NET=1), /proc, a private /dev
#                         (null zero full random urandom tty) and /tmp (tmpfs),
#                         hostname OpenWrt, then chroot ROOT /sbin/sys-init as
#                         PID 1, which runs /etc/sys-init.d/* in order (syslogd,
#                         ubusd, procd, ... each starts its daemon and waits for
#                         it). Returns once every script has run; on a failure
#                         prints /tmp/log/sys-init.log and returns 1.
#   sys_ns_run ROOT CMD [ARG...]   run CMD inside (chroot, namespaces, a clean
#                         environment: PATH, HOME=/root, LANG=C); stdin, stdout,
#                         stderr and the exit status are CMD's.
#   sys_ns_sh ROOT 'SCRIPT'        the same with /bin/sh -c SCRIPT (BusyBox ash).
#   sys_ns_pid ROOT       the host pid of the root's PID 1 (for nsenter by hand).
#   sys_ns_stop ROOT      SIGTERM to PID 1 (which stops everything inside; unshare
#                         --fork itself ignores SIGTERM), SIGKILL after 5 s; waits.
#   sys_ns_cleanup        stop every root this shell started and delete it (unless
#                         SYS_KEEP_ROOT=1): call it from an EXIT trap, e.g.
#                         trap sys_ns_cleanup EXIT; trap 'exit 1' INT TERM
#
#   SYS_NS_BINFMT="mipsel mips arm aarch64"  run foreign binaries inside via
#                         qemu-*-static: adds a user namespace (every id mapped to
#                         itself) with its own binfmt_misc (Linux >= 6.7), so
#                         nothing is registered on the host. sys_ns_start fails
#                         if the kernel cannot do that.
#
# Mounts live only in the private mount namespace: on the host ROOT stays a
# plain directory (deleting it never reaches through a mount). When PID 1
# exits, the kernel kills everything left in the pid namespace.

SYS_NS_ROOTS=""

sys_ns_pid() { cat "$1.ns/pid" 2>/dev/null; }

# _sys_ns_binfmt_line ARCH: the binfmt_misc registration for ARCH's ELF
# header (magic and mask as in Debian's qemu-user-static; F: qemu is opened
# now, on the host, so the root needs no copy of it).
_sys_ns_binfmt_line() {
	case $1 in
	mipsel) printf '%s' ':chperms-mipsel:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-mipsel-static:F' ;;
	mips) printf '%s' ':chperms-mips:M::\x7fELF\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff:/usr/bin/qemu-mips-static:F' ;;
	arm) printf '%s' ':chperms-arm:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-arm-static:F' ;;
	aarch64) printf '%s' ':chperms-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' ;;
	*) sys_die "SYS_NS_BINFMT: unknown arch '$1' (mipsel mips arm aarch64)" ;;
	esac
}

sys_ns_start() {
	_root=$(cd "$1" && pwd) || sys_die "sys_ns_start: no root $1"
	[ -x "$_root/sbin/sys-init" ] || sys_die "sys_ns_start: $_root/sbin/sys-init missing (make the root with sys_root_new)"
	_state=$_root.ns
	rm -rf "$_state" && mkdir -p "$_state"
	_flags="--mount --pid --ipc --uts --fork --kill-child"
	[ -z "${SYS_NS_NET:-}" ] || _flags="$_flags --net"
	_userns=""
	if [ -n "${SYS_NS_BINFMT:-}" ]; then
		_flags="--user $_flags"
		_userns=1
		: >"$_state/binfmt"
		for _a in $SYS_NS_BINFMT; do
			command -v "qemu-$_a-static" >/dev/null || sys_die "qemu-$_a-static missing: make deps-cross"
			_sys_ns_binfmt_line "$_a" >>"$_state/binfmt"
			echo >>"$_state/binfmt"
		done
	fi
	# Stage 1 runs with the host's tools inside the new namespaces: mounts,
	# hostname, binfmt, then chroot into the root's own PID 1.
	cat >"$_state/stage1" <<'EOF'
set -e
root=$1 state=$2 userns=$3
if [ -n "$userns" ]; then
	# Wait until the host has mapped every id to itself.
	while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.05; done
fi
mount --make-rprivate /
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o mode=0755,nosuid,size=1m dev "$root/dev"
for n in null zero full random urandom tty; do
	: >"$root/dev/$n"
	mount --bind "/dev/$n" "$root/dev/$n"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir -p "$root/dev/shm" "$root/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmp "$root/tmp"
hostname OpenWrt
if [ -s "$state/binfmt" ]; then
	mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	while IFS= read -r line; do
		# The kernel decodes the \xHH escapes itself.
		[ -n "$line" ] && printf '%s\n' "$line" >/proc/sys/fs/binfmt_misc/register
	done <"$state/binfmt"
fi
echo ok >"$state/stage1.ok"
exec chroot "$root" /sbin/sys-init
EOF
	# shellcheck disable=SC2086
	setsid unshare $_flags -- /bin/sh "$_state/stage1" "$_root" "$_state" "$_userns" \
		</dev/null >"$_state/stage1.log" 2>&1 &
	_upid=$!
	echo "$_upid" >"$_state/unshare.pid"
	SYS_NS_ROOTS="$SYS_NS_ROOTS $_root"
	# PID 1's host pid: unshare's only child.
	_i=0 _child=""
	while [ $_i -lt 100 ]; do
		_child=$(cat "/proc/$_upid/task/$_upid/children" 2>/dev/null | tr -d ' ')
		[ -n "$_child" ] && break
		kill -0 "$_upid" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$_child" ] || { cat "$_state/stage1.log" >&2; sys_die "sys_ns_start: unshare did not start (see above)"; }
	echo "$_child" >"$_state/pid"
	if [ -n "$_userns" ]; then
		echo '0 0 4294967295' >"/proc/$_upid/uid_map" &&
			echo '0 0 4294967295' >"/proc/$_upid/gid_map" ||
			sys_die "sys_ns_start: cannot map ids in the user namespace"
	fi
	# Wait for sys-init: every /etc/sys-init.d script has run (or one failed).
	if ! sys_wait_until "${SYS_NS_TIMEOUT:-30}" _sys_ns_settled "$_root"; then
		cat "$_state/stage1.log" >&2
		sys_die "sys_ns_start: the root did not come up within ${SYS_NS_TIMEOUT:-30} s"
	fi
	if [ ! -f "$_state/stage1.ok" ] || [ -e "$_root.ns/failed" ] || ! sys_ns_run "$_root" test -e /tmp/sys-init.ready; then
		echo "--- stage 1 ($_state/stage1.log)" >&2
		cat "$_state/stage1.log" >&2
		echo "--- /tmp/log/sys-init.log in the root" >&2
		sys_ns_run "$_root" cat /tmp/log/sys-init.log >&2 2>/dev/null
		return 1
	fi
	return 0
}

# Settled: sys-init wrote ready or failed, or PID 1 is gone.
_sys_ns_settled() {
	_p=$(sys_ns_pid "$1")
	kill -0 "$_p" 2>/dev/null || { : >"$1.ns/failed"; return 0; }
	[ -f "$1.ns/stage1.ok" ] || return 1
	sys_ns_run "$1" sh -c 'test -e /tmp/sys-init.ready || test -e /tmp/sys-init.failed'
}

sys_ns_run() {
	_r=$1; shift
	_p=$(sys_ns_pid "$_r")
	[ -n "$_p" ] || sys_die "sys_ns_run: $_r is not running"
	nsenter --target "$_p" --all --root --wd -- \
		/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LOGNAME=root USER=root \
		LANG=C TERM=dumb "$@"
}

sys_ns_sh() {
	sys_ns_run "$1" /bin/sh -c "$2"
}

sys_ns_stop() {
	_r=$1
	_p=$(sys_ns_pid "$_r")
	_u=$(cat "$_r.ns/unshare.pid" 2>/dev/null)
	[ -n "$_p" ] || return 0
	if kill -0 "$_p" 2>/dev/null; then
		kill -TERM "$_p" 2>/dev/null
		sys_wait_until 5 _sys_ns_gone "$_p" || kill -KILL "$_p" 2>/dev/null
	fi
	[ -z "$_u" ] || sys_wait_until 5 _sys_ns_gone "$_u" || kill -KILL "$_u" 2>/dev/null
	rm -f "$_r.ns/pid"
}

_sys_ns_gone() { ! kill -0 "$1" 2>/dev/null; }

sys_ns_cleanup() {
	for _r in $SYS_NS_ROOTS; do
		sys_ns_stop "$_r"
		if [ -z "${SYS_KEEP_ROOT:-}" ]; then
			rm -rf "$_r" "$_r.ns"
		else
			sys_say "kept $_r (SYS_KEEP_ROOT)"
		fi
	done
	SYS_NS_ROOTS=""
}
