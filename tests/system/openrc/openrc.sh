# tests/system/openrc/openrc.sh — OpenRC on top of the shared system-test
# harness (tests/system/lib: BusyBox roots, namespaces, Debian packages):
# the two OpenRC versions under test, and a root that boots one of them
# (sourced by run.sh after lib/common.sh, lib/build.sh, lib/root.sh, lib/ns.sh).
#
#   openrc_files 0.45.2|0.62.10   prints a directory holding that OpenRC's
#                                 files: Debian's packages unpacked
#                                 (sys_deb_extract: never installed), or
#                                 ../shared/vendor/openrc-0.62.10 built with
#                                 meson into target/system/openrc/ (its own
#                                 tree, not lib's shared stage: librc and
#                                 OpenRC's /etc must not reach OpenWrt roots)
#   openrc_root ROOT VERSION PKGDIR...   sys_root_new's BusyBox root with that
#                                 OpenRC, the packages' files (abuild's pkg/
#                                 dirs) and two services of the test's own:
#                                 syslogd (BusyBox, `provide logger`) and
#                                 localmount; PID 1 (sys-init) boots OpenRC as
#                                 Alpine's inittab does: sysinit, boot, default.

: "${OPENRC_CACHE:=$SYS_CACHE/openrc}"

openrc_files() {
	case "$1" in
	0.45.2)
		d="$OPENRC_CACHE/openrc-0.45.2"
		if [ ! -f "$d/.done" ]; then
			rm -rf "$d" && mkdir -p "$d"
			for p in openrc librc1 libeinfo1; do
				# sys_deb_extract's sys_die only ends the $(...) subshell: an
				# empty answer must stop here, or this copies the host's /.
				src=$(sys_deb_extract "$p") && [ -n "$src" ] && [ "$src" != / ] || {
					echo "openrc: could not unpack Debian's $p" >&2
					return 1
				}
				cp -a "$src/." "$d/"
			done
			v=$(cat "$d/lib/rc/version" 2>/dev/null)
			[ "$v" = 0.45.2 ] || { echo "Debian's openrc is '$v', not 0.45.2" >&2; return 1; }
			touch "$d/.done"
		fi
		;;
	0.62.10)
		d="$OPENRC_CACHE/openrc-0.62.10"
		if [ ! -f "$d/.done" ]; then
			tarball=$(sys_vendor_tarball openrc)
			sys_apt_install meson ninja-build libcap-dev pkg-config gcc
			rm -rf "$d" "$d.build" && mkdir -p "$d.build"
			tar -xzf "$tarball" -C "$d.build" --strip-components=1 || return 1
			# ../shared/vendor/README.md's build facts; no PAM, SELinux or
			# audit (none of them in the test root).
			(cd "$d.build" &&
				meson setup build --prefix=/usr --sysconfdir=/etc --libdir=lib -Dpam=false \
					-Dselinux=disabled -Daudit=disabled -Dbash-completions=false \
					-Dzsh-completions=false -Dpkgconfig=false &&
				ninja -C build && DESTDIR="$d" meson install -C build --no-rebuild) \
				>"$d.build.log" 2>&1 || { tail -20 "$d.build.log" >&2; return 1; }
			rm -rf "$d.build"
			touch "$d/.done"
		fi
		;;
	*) echo "openrc_files: unknown version $1" >&2; return 1 ;;
	esac
	(cd "$d" && pwd)
}

openrc_root() {
	root=$1 version=$2
	shift 2
	files=$(openrc_files "$version") || return 1
	mkdir -p "$OPENRC_CACHE" && sys_root_new "$root"
	# OpenRC boots the root and starts its own syslogd (below), after
	# sys-init's mounts.
	rm -f "$root/etc/sys-init.d/10-syslogd"
	# Alpine has a real /var (lib's OpenWrt root links it to the tmpfs /tmp).
	rm -f "$root/var" && mkdir -p "$root/var/log" "$root/run" && ln -s /run "$root/var/run"
	# OpenRC replaces BusyBox where both have a tool (start-stop-daemon).
	# Not its service scripts, runlevels or conf.d: in a root that shares
	# the host's kernel, hwclock, sysctl, binfmt or mount-ro would act on the
	# host. The root gets only the services the test names.
	(cd "$files" && find . ! -type d ! -name .done ! -path './etc/init.d/*' ! -path './etc/runlevels/*' \
		! -path './etc/conf.d/*') | while read -r f; do
		mkdir -p "$root/$(dirname "$f")"
		cp -a --remove-destination "$files/$f" "$root/$f"
	done
	for p in "$@"; do cp -a "$p/." "$root/"; done
	# Every ELF of OpenRC and the packages, with its shared libraries (the
	# unpacked Debian libraries are already in place).
	find "$root/sbin" "$root/bin" "$root/usr" "$root/lib" -type f -perm -u+x 2>/dev/null |
		while read -r f; do
			head -c4 "$f" | grep -q ELF || continue
			LD_LIBRARY_PATH="$root/lib/x86_64-linux-gnu:$root/usr/lib" ldd "$f" 2>/dev/null |
				sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'
		done | sort -u | while read -r lib; do
			case "$lib" in "$root"/*) continue ;; esac
			[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"; }
		done
	if [ "$version" = 0.45.2 ]; then
		# Debian's OpenRC reads LSB facilities from insserv's configuration.
		: >"$root/etc/insserv.conf"
		mkdir -p "$root/etc/insserv.conf.d"
	fi
	# Alpine's inittab, run by sys-init (PID 1) in the same order.
	cat >"$root/etc/sys-init.d/50-openrc" <<'BOOT'
# Alpine's /etc/inittab: ::sysinit: openrc sysinit, ::sysinit: openrc boot,
# ::wait: openrc default (written by tests/system/openrc/openrc.sh)
/sbin/openrc sysinit && /sbin/openrc boot && /sbin/openrc default
BOOT
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
	# sys-init has mounted the root's filesystems before OpenRC starts.
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
