# tests/system/systemd/container.sh — a real systemd in a container, for
# tests (sourced by run.sh). Debian bookworm made by debootstrap from the apt
# archive this machine uses, cached in $SYSTEMD_CACHE (target/system/systemd);
# booted with systemd-nspawn on a throw-away overlay (--volatile=overlay: the
# cached root is never changed); commands run inside through nsenter into
# the container's PID 1 namespaces (machinectl and `systemd-run -M` need a
# systemd on the host, which CI does not have).
#
#   container_tools            apt-get install debootstrap systemd-container
#   container_root             the cached root (built on first use, ~240 MB)
#   container_boot OPTION…     boot it with these extra systemd-nspawn options
#   inside CMD…                run CMD in the container (stdin passed on)
#   container_stop             power it off (killed after 30 s)

: "${SYSTEMD_CACHE:=target/system/systemd}"
CONTAINER_NAME="chperms-test-$$"
CONTAINER_NSPAWN_PID=""
CONTAINER_PID1=""

container_tools() {
	need=""
	command -v debootstrap >/dev/null || need="$need debootstrap"
	command -v systemd-nspawn >/dev/null || need="$need systemd-container"
	command -v nsenter >/dev/null || need="$need util-linux"
	[ -z "$need" ] && return 0
	echo "systemd test: apt-get install$need"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $need >/dev/null ||
		{ apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
			apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $need >/dev/null; }
}

# The Debian archive this machine's apt uses (deb822 or one-line sources),
# so that debootstrap works wherever apt does.
debian_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
			/^[ \t]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) { print uri; exit } uri = ""; suites = "" }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { $1 = ""; suites = $0 " " }
			END { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }
		' "$f"
	done
	sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*main.*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
	echo http://deb.debian.org/debian
}

container_root() {
	root="$SYSTEMD_CACHE/bookworm"
	if [ ! -x "$root/lib/systemd/systemd" ]; then
		mirror=$(debian_mirror | head -1)
		echo "systemd test: debootstrap bookworm from $mirror into $root (once; ~240 MB)"
		rm -rf "$root.tmp"
		mkdir -p "$SYSTEMD_CACHE"
		debootstrap --variant=minbase --include=systemd,dbus bookworm "$root.tmp" "$mirror" \
			>"$SYSTEMD_CACHE/debootstrap.log" 2>&1 || {
			tail -20 "$SYSTEMD_CACHE/debootstrap.log" >&2
			echo "systemd test: debootstrap failed (log: $SYSTEMD_CACHE/debootstrap.log)" >&2
			return 1
		}
		# A console getty would wait on the test's terminal.
		rm -f "$root.tmp/etc/systemd/system/getty.target.wants/"*
		ln -sf /dev/null "$root.tmp/etc/systemd/system/console-getty.service"
		mv "$root.tmp" "$root"
	fi
	CONTAINER_ROOT=$(cd "$root" && pwd)
}

# container_boot [NSPAWN-OPTION]... — boots and waits until systemd says the
# system is up (running or degraded).
container_boot() {
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q -D "$CONTAINER_ROOT" \
		--volatile=overlay -M "$CONTAINER_NAME" --boot --register=no --keep-unit \
		"$@" >"$SYSTEMD_CACHE/console.log" 2>&1 </dev/null &
	CONTAINER_NSPAWN_PID=$!
	i=0
	while [ $i -lt 300 ]; do
		CONTAINER_PID1=$(pgrep -P "$CONTAINER_NSPAWN_PID" 2>/dev/null | head -1)
		if [ -n "$CONTAINER_PID1" ]; then
			state=$(inside systemctl is-system-running 2>/dev/null)
			case "$state" in running | degraded) return 0 ;; esac
		fi
		kill -0 "$CONTAINER_NSPAWN_PID" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	echo "systemd test: the container did not boot (console: $SYSTEMD_CACHE/console.log)" >&2
	tail -20 "$SYSTEMD_CACHE/console.log" >&2
	return 1
}

inside() {
	nsenter -t "$CONTAINER_PID1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
		SYSTEMD_PAGER= SYSTEMD_COLORS=0 LANG=C.UTF-8 "$@"
}

container_stop() {
	[ -n "$CONTAINER_NSPAWN_PID" ] || return 0
	if kill -0 "$CONTAINER_NSPAWN_PID" 2>/dev/null; then
		inside systemctl poweroff >/dev/null 2>&1 || kill "$CONTAINER_NSPAWN_PID" 2>/dev/null
		i=0
		while kill -0 "$CONTAINER_NSPAWN_PID" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		# Killing the container's PID 1 ends everything in it; nspawn follows.
		[ -n "$CONTAINER_PID1" ] && kill -9 "$CONTAINER_PID1" 2>/dev/null
		sleep 1
		kill -9 "$CONTAINER_NSPAWN_PID" 2>/dev/null
	fi
	wait "$CONTAINER_NSPAWN_PID" 2>/dev/null
	CONTAINER_NSPAWN_PID=""
}
