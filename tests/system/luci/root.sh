# tests/system/luci/root.sh — LuCI in a root made by tests/system/lib/root.sh.
# Sourced after lib/common.sh, lib/build.sh, lib/root.sh and luci/build.sh,
# never run. Offers:
#
#   sys_root_luci ROOT PORT PASSWORD
#       After sys_root_new and sys_root_openwrt: the LuCI stack that
#       sys_build_luci built (ucode and its modules, lucihttp, rpcd with its
#       file and ucode plugins, uhttpd with its ubus and ucode handlers,
#       LuCI's core.so and html.so), luci-base and the bootstrap theme laid
#       out as luci.mk installs them, rpcd's unauthenticated ACL, a root
#       login (PASSWORD hashed into the root's /etc/shadow, as `passwd` on a
#       router does), and two daemons: rpcd (40-rpcd) and uhttpd on
#       127.0.0.1:PORT (50-uhttpd), started as OpenWrt's init scripts start
#       them (uhttpd with the options /etc/config/uhttpd gives LuCI).
#   sys_root_luci_opkg_image ROOT
#       Marks the LuCI stack as installed in opkg's status file (an image
#       built with LuCI has them), so that `opkg install luci-app-chperms`
#       resolves its dependencies against what is in the root.

# What an OpenWrt image with LuCI lists as installed (the names of the
# packages that provide what sys_root_luci copies in).
SYS_LUCI_IMAGE_PACKAGES="ubus ubusd uci procd rpcd rpcd-mod-file rpcd-mod-ucode uhttpd
uhttpd-mod-ubus uhttpd-mod-ucode ucode ucode-mod-fs ucode-mod-uci ucode-mod-ubus
ucode-mod-math ucode-mod-html liblucihttp-ucode luci-base luci-theme-bootstrap"

sys_root_luci() {
	_root=$1 _port=$2 _password=$3 _s=$SYS_STAGE/usr
	_luci=$(sys_luci_src)
	[ -x "$_s/sbin/rpcd" ] && [ -f "$_luci/luci.mk" ] || sys_die "sys_root_luci: run sys_build_luci first"

	# Every library of the stage, wherever cmake put it.
	for _l in "$_s"/lib/lib*.so* "$_s"/lib/*-linux-gnu/lib*.so*; do
		[ -e "$_l" ] && cp -an "$_l" "$_root/usr/lib/"
	done
	sys_root_install "$_root" "$_s/bin/ucode" /usr/bin/ucode
	sys_root_install "$_root" "$_s/sbin/rpcd" /sbin/rpcd
	sys_root_install "$_root" "$_s/bin/uhttpd" /usr/sbin/uhttpd
	for _so in "$_s"/lib/rpcd/*.so "$_s"/lib/uhttpd_*.so "$_s"/lib/ucode/*.so "$_s"/lib/ucode/luci/*.so; do
		sys_root_install "$_root" "$_so" "${_so#"$SYS_STAGE"}"
	done

	# luci-base and the theme, as luci.mk's Package/install lays them out.
	for _pkg in modules/luci-base themes/luci-theme-bootstrap; do
		mkdir -p "$_root/www" "$_root/usr/share/ucode/luci"
		cp -R "$_luci/$_pkg/htdocs/." "$_root/www/"
		cp -R "$_luci/$_pkg/root/." "$_root/"
		cp -R "$_luci/$_pkg/ucode/." "$_root/usr/share/ucode/luci/"
	done
	# version.uc, as modules/luci-base/src/Makefile writes it.
	_rev=$(basename "$(sys_vendor_tarball luci)" .tar.gz | cut -d- -f2)
	echo "export const revision = '$_rev', branch = 'LuCI master';" \
		>"$_root/usr/share/ucode/luci/version.uc"
	_rpcd_src=$SYS_CACHE/build/$(basename "$(sys_vendor_tarball rpcd)" .tar.gz)/src
	install -D -m 0644 "$_rpcd_src/unauthenticated.json" "$_root/usr/share/rpcd/acl.d/unauthenticated.json"

	# rpcd's login for root (package/system/rpcd/files/rpcd.config): "$p$root"
	# means "root's password from /etc/shadow".
	cat >"$_root/etc/config/rpcd" <<'EOF'
config rpcd
	option socket /var/run/ubus/ubus.sock
	option timeout 30

config login
	option username 'root'
	option password '$p$root'
	list read '*'
	list write '*'
EOF
	_hash=$(printf '%s\n' "$_password" | openssl passwd -5 -stdin) || sys_die "openssl passwd failed"
	sed -i "s|^root:[^:]*:|root:$_hash:|" "$_root/etc/shadow"
	# What `ubus call system board` reports as the release (procd reads
	# /usr/lib/os-release; the theme's footer shows it).
	cat >"$_root/usr/lib/os-release" <<'EOF'
NAME="OpenWrt"
VERSION="SNAPSHOT"
BUILD_ID="chperms-test"
OPENWRT_BOARD="x86/64"
OPENWRT_RELEASE="OpenWrt SNAPSHOT (chperms system test)"
EOF
	ln -sf ../usr/lib/os-release "$_root/etc/os-release"

	sys_root_daemon "$_root" 40-rpcd 'rpcd -s /var/run/ubus/ubus.sock -t 30' \
		'ubus -t 1 list session | grep -qx session'
	# The options OpenWrt's /etc/init.d/uhttpd derives from /etc/config/uhttpd
	# for LuCI (ucode_prefix /cgi-bin/luci, ubus_prefix /ubus, script_timeout 60).
	sys_root_daemon "$_root" 50-uhttpd \
		"uhttpd -f -h /www -p 127.0.0.1:$_port -x /cgi-bin -u /ubus -o /cgi-bin/luci -O /usr/share/ucode/luci/uhttpd.uc -t 60 -T 30 -k 20 -A 1 -n 3 -N 100" \
		"wget -q -O /dev/null http://127.0.0.1:$_port/luci-static/resources/luci.js"
}

sys_root_luci_opkg_image() {
	_status=$1/usr/lib/opkg/status
	[ -f "$_status" ] || sys_die "sys_root_luci_opkg_image: no opkg in $1 (sys_root_opkg first)"
	_arch=$(sed -n 's/^Architecture: //p' "$_status" | head -1)
	for _p in $SYS_LUCI_IMAGE_PACKAGES; do
		printf 'Package: %s\nVersion: 1\nStatus: install user installed\nArchitecture: %s\nInstalled-Time: 1700000000\n\n' \
			"$_p" "$_arch" >>"$_status"
		: >"$1/usr/lib/opkg/info/$_p.list"
	done
}
