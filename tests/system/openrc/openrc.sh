# tests/system/openrc/openrc.sh — the two OpenRC versions under test, and a
# root with one of them, BusyBox, syslogd and chperms as the APKBUILD
# packages it (sourced by run.sh; needs root.sh and abuild.sh).
#
#   openrc_files 0.45.2|0.62.10   prints a directory holding that OpenRC's
#                                 files: Debian's packages unpacked, or
#                                 ../shared/vendor/openrc-0.62.10 built with
#                                 meson (cached in $OPENRC_CACHE)
#   openrc_root DIR VERSION PKGDIR...  a BusyBox root in DIR with that OpenRC,
#                                 the packages' files (abuild's pkg/ dirs) and
#                                 the test's syslogd and localmount services

openrc_files() {
	case "$1" in
	0.45.2)
		d="$OPENRC_CACHE/openrc-0.45.2"
		if [ ! -f "$d/.done" ]; then
			rm -rf "$d" && mkdir -p "$d"
			for p in openrc librc1 libeinfo1; do
				r=$(deb_root "$p") || return 1
				cp -a "$r/." "$d/"
			done
			v=$(cat "$d/lib/rc/version" 2>/dev/null)
			[ "$v" = 0.45.2 ] || { echo "Debian's openrc is $v, not 0.45.2" >&2; return 1; }
			touch "$d/.done"
		fi
		;;
	0.62.10)
		d="$OPENRC_CACHE/openrc-0.62.10"
		if [ ! -f "$d/.done" ]; then
			tarball="$REPO/../shared/vendor/openrc-0.62.10.tar.gz"
			[ -f "$tarball" ] || { echo "no $tarball" >&2; return 1; }
			for p in meson ninja-build libcap-dev pkg-config gcc; do
				dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="${need:-} $p"
			done
			if [ -n "${need:-}" ]; then
				echo "openrc test: apt-get install$need"
				# shellcheck disable=SC2086
				apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $need >/dev/null ||
					{ apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
						apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $need >/dev/null; } ||
					return 1
			fi
			rm -rf "$d" "$d.build" && mkdir -p "$d.build"
			tar -xzf "$tarball" -C "$d.build" --strip-components=1 || return 1
			# The build facts of ../shared/vendor/README.md; no PAM, SELinux,
			# audit (none of them in the test root).
			(cd "$d.build" &&
				meson setup build --prefix=/usr --sysconfdir=/etc --libdir=lib -Dpam=false \
					-Dselinux=disabled -Daudit=disabled -Dbash-completions=false \
					-Dzsh-completions=false -Dpkgconfig=false &&
				ninja -C build && DESTDIR="$(cd .. && pwd)/openrc-0.62.10" meson install -C build --no-rebuild) \
				>"$d.build.log" 2>&1 || { tail -20 "$d.build.log" >&2; return 1; }
			rm -rf "$d.build"
			touch "$d/.done"
		fi
		;;
	*) echo "openrc_files: unknown version $1" >&2; return 1 ;;
	esac
	(cd "$d" && pwd)
}

# openrc_root DIR VERSION PKGDIR...
openrc_root() {
	root=$1 version=$2
	shift 2
	files=$(openrc_files "$version") || return 1
	busybox_root "$root" || return 1
	# OpenRC replaces BusyBox where both have a tool (start-stop-daemon).
	# Not its service scripts nor runlevels: in a chroot that shares the
	# host's kernel, hwclock, sysctl, binfmt or mount-ro would act on the
	# host. The root gets only the services the test names.
	(cd "$files" && find . ! -type d ! -name .done ! -path './etc/init.d/*' ! -path './etc/runlevels/*' \
		! -path './etc/conf.d/*') | while read -r f; do
		mkdir -p "$root/$(dirname "$f")"
		cp -a --remove-destination "$files/$f" "$root/$f"
	done
	for p in "$@"; do cp -a "$p/." "$root/"; done
	elfs=$(find "$root" -type f -perm -u+x -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print)
	# shellcheck disable=SC2086
	LD_LIBRARY_PATH="$root/lib/x86_64-linux-gnu:$root/usr/lib:$root/lib" copy_libs "$root" $elfs
	# Debian's OpenRC reads LSB facilities from insserv's configuration.
	if [ "$version" = 0.45.2 ]; then
		: >"$root/etc/insserv.conf"
		mkdir -p "$root/etc/insserv.conf.d"
	fi
	# Alpine's inittab: BusyBox init runs OpenRC's runlevels.
	cat >"$root/etc/inittab" <<'TAB'
::sysinit:/sbin/openrc sysinit
::sysinit:/sbin/openrc boot
::wait:/sbin/openrc default
::shutdown:/sbin/openrc shutdown
TAB
	# BusyBox syslogd as Alpine's busybox-openrc runs it, named like none of
	# the syslog daemons (syslog-ng, rsyslog) that `provide logger` either.
	cat >"$root/etc/init.d/syslogd" <<'RC'
#!/sbin/openrc-run
description="BusyBox syslogd (the test's system logger)"
supervisor=supervise-daemon
command=/sbin/syslogd
command_args="-n -O /var/log/messages"
depend() {
	provide logger
}
RC
	# The harness mounts the root's filesystems before init starts.
	cat >"$root/etc/init.d/localmount" <<'RC'
#!/sbin/openrc-run
description="Local filesystems (mounted by the test harness)"
start() {
	return 0
}
RC
	chmod 755 "$root/etc/init.d/syslogd" "$root/etc/init.d/localmount"
	mkdir -p "$root/etc/runlevels/boot" "$root/etc/runlevels/default" "$root/etc/runlevels/sysinit"
	ln -sf /etc/init.d/localmount "$root/etc/runlevels/boot/localmount"
	ln -sf /etc/init.d/syslogd "$root/etc/runlevels/default/syslogd"
}
