# tests/system/lib/root.sh — make an OpenWrt-like root directory to run with ns.sh.
# Sourced after common.sh and build.sh, never run. Offers:
#
#   sys_root_new ROOT     a BusyBox root: Debian's busybox-static as /bin/busybox
#                         with every applet linked (/bin/sh is BusyBox ash, as on
#                         OpenWrt), OpenWrt's /etc/passwd, /etc/group (www-data:33)
#                         and /etc/shadow, OpenWrt's shell files from
#                         $SYS_VENDOR/openwrt-files (/etc/rc.common,
#                         /lib/functions.sh, /lib/functions/{procd,service}.sh,
#                         /lib/config/uci.sh, /usr/share/libubox/jshn.sh), /var ->
#                         /tmp, /etc/init.d, /etc/rc.d, /etc/config, /sbin/sys-init
#                         (PID 1 for ns.sh) and /etc/sys-init.d/10-syslogd
#                         (BusyBox syslogd -C: `logread` shows facility.level).
#                         ROOT must not exist; tests usually take
#                         ROOT=$(sys_root_dir NAME).
#   sys_root_dir NAME     a fresh, unused path under target/system/roots/.
#   sys_root_install ROOT FILE [DEST]   copy a host ELF (or script) into ROOT at
#                         DEST (default: the same path) with every shared library
#                         it needs (ldd); libraries from SYS_STAGE go to /usr/lib.
#   sys_root_daemon ROOT NN-NAME 'COMMAND' 'READY-TEST'   add a sys-init script:
#                         COMMAND runs in the background (output in
#                         /tmp/log/NAME.log), sys-init waits up to 10 s for
#                         READY-TEST (a shell condition run inside) to succeed.
#   sys_root_openwrt ROOT   the OpenWrt userland from sys_build_openwrt: ubusd,
#                         ubus, procd (as a service manager, not PID 1: serves the
#                         ubus `service` object), uci, jsonfilter (a wrapper
#                         passes stdin as -i /dev/stdin: the vendored commit
#                         ignores stdin), jshn, flock
#                         (util-linux's; Debian's busybox has none), /sbin/service;
#                         starts ubusd (20-ubusd) and procd (30-procd).
#   sys_root_opkg ROOT ARCH   opkg (/bin/opkg), /etc/opkg.conf with arches all,
#                         noarch and ARCH, and a status file with libc and busybox
#                         installed (as an OpenWrt image has).
#   sys_root_opkg_arch ROOT ARCH   configure one more arch (as an operator would).
#   sys_root_apk ROOT ARCH    apk v3 from sys_build_apk (/usr/bin/apk), /etc/apk/arch,
#                         and a database with libc and busybox installed (from two
#                         empty marker packages made with `apk mkpkg`).

SYS_BUSYBOX_DEB=busybox-static

sys_root_dir() {
	mkdir -p "$SYS_CACHE/roots"
	mktemp -d -u "$SYS_CACHE/roots/$1.XXXXXX"
}

# OpenWrt's base-files users and groups (package/base-files/files/etc/).
_sys_root_passwd() {
	cat >"$1/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/ash
daemon:*:1:1:daemon:/var:/bin/false
ftp:*:55:55:ftp:/home/ftp:/bin/false
network:*:101:101:network:/var:/bin/false
nobody:*:65534:65534:nobody:/var:/bin/false
ntp:x:123:123:ntp:/var/run/ntp:/bin/false
dnsmasq:x:453:453:dnsmasq:/var/run/dnsmasq:/bin/false
logd:x:514:514:logd:/var/run/logd:/bin/false
ubus:x:81:81:ubus:/var/run/ubus:/bin/false
EOF
	cat >"$1/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
adm:x:4:
mail:x:8:
dialout:x:20:
audio:x:29:
www-data:x:33:
ftp:x:55:
users:x:100:
network:x:101:
nogroup:x:65534:
ntp:x:123:ntp
dnsmasq:x:453:dnsmasq
logd:x:514:logd
ubus:x:81:ubus
EOF
	cat >"$1/etc/shadow" <<'EOF'
root:::0:99999:7:::
daemon:*:0:0:99999:7:::
ftp:*:0:0:99999:7:::
network:*:0:0:99999:7:::
nobody:*:0:0:99999:7:::
ntp:x:0:0:99999:7:::
dnsmasq:x:0:0:99999:7:::
logd:x:0:0:99999:7:::
ubus:x:0:0:99999:7:::
EOF
	chmod 0600 "$1/etc/shadow"
}

sys_root_new() {
	_root=$1
	[ ! -e "$_root" ] || sys_die "sys_root_new: $_root exists"
	sys_need_vendor || sys_die "sys_root_new: no upstream sources"
	_files=$SYS_VENDOR/openwrt-files
	[ -f "$_files/etc/rc.common" ] || sys_die "sys_root_new: $_files/etc/rc.common missing"
	_bbroot=$(sys_deb_extract "$SYS_BUSYBOX_DEB")
	umask 022
	mkdir -p "$_root"
	for _d in bin sbin lib usr/bin usr/sbin usr/lib usr/share etc/init.d etc/rc.d \
		etc/config etc/sys-init.d proc dev tmp root overlay; do
		mkdir -p "$_root/$_d"
	done
	chmod 0700 "$_root/root"
	chmod 1777 "$_root/tmp"
	ln -s tmp "$_root/var"
	install -m 0755 "$_bbroot/bin/busybox" "$_root/bin/busybox"
	# Every applet at the path BusyBox itself would install it to.
	"$_root/bin/busybox" --list-full | while IFS= read -r _a; do
		[ -e "$_root/$_a" ] || [ -L "$_root/$_a" ] || ln -s /bin/busybox "$_root/$_a"
	done
	_sys_root_passwd "$_root"
	echo OpenWrt >"$_root/etc/hostname"
	# OpenWrt's own shell files, unchanged.
	install -m 0755 "$_files/etc/rc.common" "$_root/etc/rc.common"
	install -D -m 0644 "$_files/lib/functions.sh" "$_root/lib/functions.sh"
	install -D -m 0644 "$_files/lib/functions/procd.sh" "$_root/lib/functions/procd.sh"
	install -D -m 0644 "$_files/lib/functions/service.sh" "$_root/lib/functions/service.sh"
	install -D -m 0644 "$_files/lib/config/uci.sh" "$_root/lib/config/uci.sh"
	install -D -m 0644 "$_files/usr/share/libubox/jshn.sh" "$_root/usr/share/libubox/jshn.sh"
	_sys_root_init "$_root"
	sys_root_daemon "$_root" 10-syslogd 'syslogd -n -C256' 'test -S /dev/log'
}

# /sbin/sys-init: PID 1 inside the namespaces (see ns.sh).
_sys_root_init() {
	cat >"$1/sbin/sys-init" <<'EOF'
#!/bin/sh
# PID 1 of a system-test root (written by tests/system/lib/root.sh).
# Runs /etc/sys-init.d/* in order, then waits. SIGTERM stops every process
# of the root and exits (the kernel then kills what is left).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
stop() {
	kill -TERM -1 2>/dev/null
	sleep 0.5
	exit 0
}
trap stop TERM INT
mkdir -p /tmp/log /tmp/lock /tmp/run /tmp/state /tmp/etc
cd /
for s in /etc/sys-init.d/*; do
	[ -f "$s" ] || continue
	echo "sys-init: $s" >>/tmp/log/sys-init.log
	if ! sh "$s" >>/tmp/log/sys-init.log 2>&1; then
		echo "sys-init: $s failed" >>/tmp/log/sys-init.log
		echo "$s" >/tmp/sys-init.failed
		break
	fi
done
[ -e /tmp/sys-init.failed ] || : >/tmp/sys-init.ready
while :; do
	sleep 3600 &
	wait $!
done
EOF
	chmod 0755 "$1/sbin/sys-init"
}

sys_root_daemon() {
	_name=${2#*-}
	cat >"$1/etc/sys-init.d/$2" <<EOF
# started by /sbin/sys-init (tests/system/lib/root.sh)
$3 >/tmp/log/$_name.log 2>&1 &
i=0
while ! { $4; } 2>/dev/null; do
	i=\$((i + 1))
	[ \$i -lt 100 ] || { echo "$_name did not come up:"; cat /tmp/log/$_name.log; exit 1; }
	sleep 0.1
done
EOF
}

sys_root_install() {
	_root=$1 _file=$2 _dest=${3:-$2}
	[ -e "$_file" ] || sys_die "sys_root_install: $_file missing"
	mkdir -p "$_root$(dirname "$_dest")"
	cp -L "$_file" "$_root$_dest"
	# Shared libraries (none for static binaries or scripts).
	LD_LIBRARY_PATH=$SYS_STAGE/usr/lib ldd "$_file" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		while IFS= read -r _lib; do
			case $_lib in
			"$SYS_STAGE"/*) _to=/usr/lib/${_lib##*/} ;;
			*) _to=$_lib ;;
			esac
			[ -e "$_root$_to" ] && continue
			mkdir -p "$_root$(dirname "$_to")"
			cp -L "$_lib" "$_root$_to"
		done
}

sys_root_openwrt() {
	_root=$1 _s=$SYS_STAGE/usr
	[ -x "$_s/sbin/procd" ] || sys_die "sys_root_openwrt: run sys_build_openwrt first"
	sys_root_install "$_root" "$_s/sbin/ubusd" /sbin/ubusd
	sys_root_install "$_root" "$_s/bin/ubus" /bin/ubus
	sys_root_install "$_root" "$_s/sbin/procd" /sbin/procd
	sys_root_install "$_root" "$_s/bin/uci" /sbin/uci
	# jsonfilter: this jsonpath commit parses its input only when -i or -s is
	# given (main.c), so `... | jsonfilter -e` (rc.common's status and
	# running) finds nothing. The wrapper feeds stdin through -i /dev/stdin.
	sys_root_install "$_root" "$_s/bin/jsonpath" /usr/libexec/jsonfilter
	cat >"$_root/usr/bin/jsonfilter" <<'EOF'
#!/bin/sh
# jsonfilter without -i/-s reads stdin (see tests/system/lib/root.sh)
case " $* " in
*" -i"* | *" -s"*) exec /usr/libexec/jsonfilter "$@" ;;
esac
exec /usr/libexec/jsonfilter -i /dev/stdin "$@"
EOF
	chmod 0755 "$_root/usr/bin/jsonfilter"
	sys_root_install "$_root" "$_s/bin/jshn" /usr/bin/jshn
	sys_root_install "$_root" "$(command -v flock)" /usr/bin/flock
	for _l in "$_s"/lib/lib*.so*; do
		[ -e "$_root/usr/lib/${_l##*/}" ] || cp -L "$_l" "$_root/usr/lib/"
	done
	# OpenWrt's /sbin/service (package/base-files), reduced to what it does
	# for one script: run /etc/init.d/NAME ACTION.
	cat >"$_root/sbin/service" <<'EOF'
#!/bin/sh
# service NAME ACTION: /etc/init.d/NAME ACTION (as OpenWrt's /sbin/service)
[ -x "/etc/init.d/$1" ] || { echo "service: $1 not found" >&2; exit 1; }
n=$1; shift
exec "/etc/init.d/$n" "$@"
EOF
	chmod 0755 "$_root/sbin/service"
	sys_root_daemon "$_root" 20-ubusd 'ubusd' 'test -S /var/run/ubus/ubus.sock'
	sys_root_daemon "$_root" 30-procd 'procd -S' 'ubus -t 1 list service | grep -qx service'
}

sys_root_opkg() {
	_root=$1 _arch=$2
	[ -x "$SYS_STAGE/usr/bin/opkg-cl" ] || sys_die "sys_root_opkg: run sys_build_openwrt first"
	sys_root_install "$_root" "$SYS_STAGE/usr/bin/opkg-cl" /bin/opkg
	mkdir -p "$_root/usr/lib/opkg/info" "$_root/etc/opkg"
	cat >"$_root/etc/opkg.conf" <<EOF
dest root /
dest ram /tmp
lists_dir ext /var/opkg-lists
option overlay_root /overlay
arch all 1
arch noarch 1
arch $_arch 10
EOF
	cat >"$_root/usr/lib/opkg/status" <<EOF
Package: libc
Version: 1.2.5-r4
Depends: libgcc
Status: install user installed
Architecture: $_arch
Installed-Time: 1700000000

Package: libgcc
Version: 13.3.0-r4
Status: install user installed
Architecture: $_arch
Installed-Time: 1700000000

Package: busybox
Version: 1.36.1-r2
Depends: libc
Status: install user installed
Architecture: $_arch
Conffiles:
 /etc/syslog.conf 0
Installed-Time: 1700000000

EOF
	for _p in libc libgcc busybox; do : >"$_root/usr/lib/opkg/info/$_p.list"; done
}

sys_root_opkg_arch() {
	_prio=$(grep -c '^arch ' "$1/etc/opkg.conf")
	echo "arch $2 $((_prio * 10))" >>"$1/etc/opkg.conf"
}

sys_root_apk() {
	_root=$1 _arch=$2
	[ -x "$SYS_STAGE/usr/bin/apk" ] || sys_die "sys_root_apk: run sys_build_apk first"
	sys_root_install "$_root" "$SYS_STAGE/usr/bin/apk" /usr/bin/apk
	for _l in "$SYS_STAGE"/usr/lib/libapk.so*; do cp -a "$_l" "$_root/usr/lib/"; done
	mkdir -p "$_root/etc/apk/keys" "$_root/lib/apk/packages"
	echo "$_arch" >"$_root/etc/apk/arch"
	: >"$_root/etc/apk/repositories"
	# An empty database, then libc and busybox "installed" from two marker
	# packages with no files, so that `depends: libc` resolves as on a router.
	_mk=$(mktemp -d "${TMPDIR:-/tmp}/sys-apk.XXXXXX")
	for _p in libc:1.2.5-r4 busybox:1.36.1-r2; do
		mkdir -p "$_mk/${_p%%:*}/files"
		"$SYS_STAGE/usr/bin/apk" mkpkg --info "name:${_p%%:*}" --info "version:${_p#*:}" \
			--info "arch:$_arch" --info "description:${_p%%:*} (present in the image)" \
			--info "license:GPL-2.0" --files "$_mk/${_p%%:*}/files" \
			--output "$_mk/${_p%%:*}.apk" >/dev/null || sys_die "apk mkpkg ${_p%%:*} failed"
	done
	LD_LIBRARY_PATH=$SYS_STAGE/usr/lib "$SYS_STAGE/usr/bin/apk" --root "$_root" --initdb \
		--allow-untrusted --no-network --no-cache --no-scripts add "$_mk/libc.apk" "$_mk/busybox.apk" \
		>"$_mk/log" 2>&1 || { cat "$_mk/log" >&2; sys_die "apk --initdb in $_root failed"; }
	rm -rf "$_mk"
}
