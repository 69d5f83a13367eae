# tests/system/openrc/root.sh — BusyBox roots run in unshare mount+pid
# namespaces, for the OpenRC tests (sourced by run.sh).
#
# TODO(merge): tests/system/lib (branch openwrt) is to have the shared
# BusyBox-root and namespace parts; when it is on main, use them here and
# keep only what OpenRC needs on top (inittab, the OpenRC files, libraries).
#
#   deb_root PKG                 Debian package PKG unpacked (apt-get download +
#                                dpkg -x, never installed): prints its root
#   busybox_root DIR             a root with static BusyBox as every tool
#   copy_libs DIR ELF...         the shared libraries ELF... need, into DIR
#   ns_boot DIR                  BusyBox init as PID 1 of new mount+pid
#                                namespaces, chrooted in DIR (inittab of DIR)
#   in_ns CMD...                 run CMD in the booted root (as /bin/sh -c)
#   ns_stop                      poweroff (killed after 30 s)

: "${OPENRC_CACHE:=target/system/openrc}"
NS_UNSHARE_PID=""
NS_PID1=""

deb_root() {
	d="$OPENRC_CACHE/debs/$1"
	if [ ! -f "$d/.unpacked" ]; then
		rm -rf "$d" && mkdir -p "$d"
		(cd "$d" && apt-get download -q "$1" >/dev/null 2>&1) || {
			apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null 2>&1
			(cd "$d" && apt-get download -q "$1" >/dev/null 2>&1)
		} || { echo "apt-get download $1 failed" >&2; return 1; }
		dpkg-deb -x "$d"/*.deb "$d/root" || return 1
		touch "$d/.unpacked"
	fi
	echo "$d/root"
}

busybox_root() {
	root=$1
	bb=$(deb_root busybox-static) || return 1
	mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/etc "$root"/proc \
		"$root"/dev "$root"/run "$root"/tmp "$root"/var/log "$root"/root "$root"/srv
	chmod 1777 "$root/tmp"
	ln -sfn /run "$root/var/run"
	cp "$bb/bin/busybox" "$root/bin/busybox"
	chroot "$root" /bin/busybox --install -s
	printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/sbin/nologin\n' >"$root/etc/passwd"
	printf 'root:x:0:\nuucp:x:14:\nwww-data:x:33:\n' >"$root/etc/group"
	printf 'root:*:1::::::\nwww-data:!:1::::::\n' >"$root/etc/shadow"
	chmod 640 "$root/etc/shadow"
	echo chperms-test >"$root/etc/hostname"
}

# copy_libs DIR ELF... (ELF paths on the host; LD_LIBRARY_PATH may point at
# unpacked libraries) — the loader and every library ldd resolves.
copy_libs() {
	root=$1
	shift
	for elf in "$@"; do
		ldd "$elf" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'
	done | sort -u | while read -r lib; do
		case "$lib" in "$root"/*) continue ;; esac
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
}

# ns_boot DIR: BusyBox init, PID 1 of a new PID namespace, in a private mount
# namespace where DIR has its own /proc, /run, /tmp and a /dev with the few
# nodes services use; /dev/console is DIR/../console.log (the boot messages).
ns_boot() {
	root=$(cd "$1" && pwd)
	: >"$root/../console.log"
	# UTS, IPC and network namespaces too: nothing started in the root can
	# rename the host or touch its network.
	unshare --mount --pid --uts --ipc --net --fork --propagation private sh -c '
		root=$1
		hostname chperms-test
		mount -t proc proc "$root/proc"
		mount -t tmpfs -o mode=0755 run "$root/run"
		mount -t tmpfs -o mode=0755 dev "$root/dev"
		for n in null zero random urandom tty; do
			touch "$root/dev/$n" && mount --bind "/dev/$n" "$root/dev/$n"
		done
		touch "$root/dev/console" && mount --bind "$root/../console.log" "$root/dev/console"
		ln -s /proc/self/fd "$root/dev/fd"
		# Without CONSOLE, BusyBox init keeps its own stdio (/dev/null here).
		CONSOLE=/dev/console exec chroot "$root" /bin/busybox init
	' ns-init "$root" </dev/null >/dev/null 2>&1 &
	NS_UNSHARE_PID=$!
	i=0
	while [ $i -lt 50 ] && [ -z "$NS_PID1" ]; do
		NS_PID1=$(pgrep -P "$NS_UNSHARE_PID" 2>/dev/null | head -1)
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$NS_PID1" ]
}

# in_ns SCRIPT: /bin/sh -c SCRIPT inside the root (BusyBox ash), with the
# environment a login shell there would have.
in_ns() {
	nsenter -t "$NS_PID1" -m -p -r -w env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
		/bin/sh -c "$1"
}

ns_stop() {
	[ -n "$NS_UNSHARE_PID" ] || return 0
	# SIGUSR2: BusyBox init's poweroff (runs the ::shutdown: entries first).
	kill -USR2 "$NS_PID1" 2>/dev/null
	i=0
	while kill -0 "$NS_UNSHARE_PID" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -9 "$NS_PID1" 2>/dev/null
	wait "$NS_UNSHARE_PID" 2>/dev/null
	NS_UNSHARE_PID="" NS_PID1=""
}
