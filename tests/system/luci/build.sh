# tests/system/luci/build.sh — the LuCI stack on top of the OpenWrt userland
# that tests/system/lib/build.sh builds. Sourced after lib/common.sh and
# lib/build.sh, never run. Offers:
#
#   sys_build_luci   ucode (with its fs, uci, ubus, uloop, math modules),
#                    lucihttp (the ucode binding), rpcd (with its file and
#                    ucode plugins), uhttpd (with its ubus and ucode handlers)
#                    and LuCI's own core.so and html.so, into SYS_STAGE;
#                    after sys_build_openwrt (libubox, ubus, uci, procd).
#   sys_luci_src     the unpacked LuCI subset (luci.mk, luci-base, the
#                    bootstrap theme): a directory under SYS_CACHE.
#
# Each piece is cached with the same stamps as the OpenWrt userland, so a
# second run spends a second here. Build facts (Debian 12, glibc 2.36, gcc
# 12), each a difference between upstream's build machines and this one:
#   - ucode's headers use vasprintf, declared only under _GNU_SOURCE, which
#     lucihttp, rpcd and uhttpd define after their first system header (or
#     not at all): -D_GNU_SOURCE= on their command line (an empty value, so
#     it agrees with their own #define);
#   - ucode installs into lib/, not lib/x86_64-linux-gnu (LuCI looks there);
#   - rpcd's rpcsys plugin wants strlcpy (glibc >= 2.38): left out, LuCI
#     does not use it;
#   - uhttpd's -Werror trips on gcc 12's stringop-overread in file.c;
#   - LuCI's core.so links -lcrypt, which the linker drops as unused unless
#     --no-as-needed comes first (the symbols are used through ucode).

SYS_LUCI_APT="libcrypt-dev"

_sys_install_luci_core() {
	# $1 = unpacked LuCI subset (src), $2 = its build folder (same).
	_lb=$1/modules/luci-base/src
	install -D -m 0755 "$_lb/core.so" "$SYS_STAGE/usr/lib/ucode/luci/core.so" &&
		install -D -m 0755 "$1/html.so" "$SYS_STAGE/usr/lib/ucode/html.so"
}

# LuCI has no cmake build: its two C modules are built with the compiler
# straight, as OpenWrt's package Makefiles do (modules/luci-base/src/Makefile
# and contrib/package/ucode-mod-html/Makefile).
_sys_build_luci_c() {
	_sys_build_begin luci "ucode" "core.so html.so" || return 0
	(
		_sys_stage_env
		_lb=$_src/modules/luci-base/src
		make -C "$_lb" contrib/lemon lib/plural_formula.c &&
			for _c in luci lmo plural_formula; do
				cc $CFLAGS -fPIC -DNDEBUG -c -o "$_lb/lib/$_c.o" "$_lb/lib/$_c.c" || exit 1
			done &&
			cc $LDFLAGS -shared -o "$_lb/core.so" "$_lb/lib/luci.o" "$_lb/lib/lmo.o" \
				"$_lb/lib/plural_formula.o" -Wl,--no-as-needed -lcrypt &&
			cc $CFLAGS $LDFLAGS -fPIC -Wall -shared -o "$_src/html.so" \
				"$_src/contrib/package/ucode-mod-html/src/html.c" &&
			_sys_install_luci_core "$_src" "$_src"
	) >"$_log" 2>&1 || _sys_build_fail
	_sys_build_end
	# Keep the sources: the test installs luci-base's htdocs and ucode from them.
}

_sys_build_luci() {
	sys_apt_install $SYS_BUILD_APT $SYS_LUCI_APT
	sys_build_cmake ucode "libubox ubus uci" -DCMAKE_INSTALL_LIBDIR=lib \
		-DUBUS_SUPPORT=ON -DUCI_SUPPORT=ON -DULOOP_SUPPORT=ON -DRTNL_SUPPORT=OFF \
		-DNL80211_SUPPORT=OFF -DZLIB_SUPPORT=OFF -DDIGEST_SUPPORT=OFF
	SYS_BUILD_CFLAGS="-D_GNU_SOURCE=" sys_build_cmake lucihttp "ucode" \
		-DBUILD_LUA=OFF -DBUILD_TESTS=OFF
	SYS_BUILD_CFLAGS="-D_GNU_SOURCE=" sys_build_cmake rpcd "libubox ubus uci ucode" \
		-DIWINFO_SUPPORT=OFF -DRPCSYS_SUPPORT=OFF
	SYS_BUILD_CFLAGS="-D_GNU_SOURCE= -Wno-error=stringop-overread" sys_build_cmake uhttpd "libubox ubus ucode" \
		-DTLS_SUPPORT=OFF -DLUA_SUPPORT=OFF
	_sys_build_luci_c
}

sys_build_luci() {
	sys_build_openwrt
	_sys_locked _sys_build_luci
}

sys_luci_src() {
	printf '%s\n' "$SYS_CACHE/build/$(basename "$(sys_vendor_tarball luci)" .tar.gz)/src"
}
