# tests/system/lib/build.sh — build upstream tools from $SYS_VENDOR once, into
# a cache under target/system. Sourced after common.sh, never run. Offers:
#
#   sys_build_cmake NAME "DEPS" [CMAKE-ARG...] [-- TARGET...]
#       Builds NAME-<commit>.tar.gz with cmake in SYS_CACHE/build/<stem>/ and
#       installs it (prefix /usr) into the shared stage SYS_STAGE. DEPS names
#       earlier builds it links against (their stamps go into its stamp, so a
#       rebuilt libubox rebuilds ubus). After `--`, only those make targets are
#       built (for projects whose full build needs more), then the function
#       named by SYS_BUILD_INSTALL_FN installs them: called with SRC BUILD,
#       it copies into $SYS_STAGE. Extra compiler flags: SYS_BUILD_CFLAGS;
#       SYS_BUILD_NO_WERROR=1 drops -Werror; SYS_BUILD_IN_TREE=1 builds in
#       the source folder.
#   sys_build_meson NAME "DEPS" [MESON-ARG...]    the same with meson + ninja.
#   sys_build_openwrt   libubox, ubus, uci, udebug, procd, jsonpath (jsonfilter),
#                       opkg (static libubox, no usign): the OpenWrt userland.
#   sys_build_apk       apk-tools 3 (apk v3, zstd, openssl) — `apk` and libapk.
#   SYS_STAGE           the install tree: $SYS_STAGE/usr/{bin,sbin,lib,include}
#
# Each build writes a stamp (tarball sha256, arguments, dependencies' stamps,
# SYS_BUILD_REV); a rerun with the same stamp does nothing, so a second test
# run spends seconds here. A build that fails prints the tail of its log and
# the log's path, and stops the suite. Builds hold a lock (flock) so two
# suites in one checkout never build into the stage at once.
#
# Build facts (Debian 12, glibc 2.36): procd needs udebug, a strlcpy shim and
# no -Werror; udebug's full build wants ucode, so only its library is built;
# opkg is linked with libubox statically and without usign.

SYS_STAGE=$SYS_CACHE/stage
# Bump when a build recipe below changes: every cached build is redone.
SYS_BUILD_REV=1
SYS_BUILD_APT="build-essential cmake meson ninja-build pkg-config libjson-c-dev libssl-dev zlib1g-dev libzstd-dev"

# _sys_stamp NAME: the stamp a build of NAME must have to be reused.
_sys_stamp() {
	cat "$SYS_CACHE/build/stamps/$1" 2>/dev/null
}

# _sys_build_begin NAME "DEPS" ARGS...: 0 when NAME must be (re)built; sets
# _src, _bld, _log, _want (the new stamp). Unpacks the sources.
_sys_build_begin() {
	_name=$1 _deps=$2; shift 2
	_tar=$(sys_vendor_tarball "$_name")
	_stem=$(basename "$_tar" .tar.gz)
	_want="rev=$SYS_BUILD_REV $(sha256sum "$_tar" | cut -c1-64) args=$* cflags=${SYS_BUILD_CFLAGS:-} nowerror=${SYS_BUILD_NO_WERROR:-}"
	for _d in $_deps; do
		_want="$_want $_d:[$(_sys_stamp "$_d")]"
	done
	mkdir -p "$SYS_CACHE/build/stamps" "$SYS_STAGE"
	if [ "$(_sys_stamp "$_name")" = "$_want" ]; then
		return 1
	fi
	_src=$SYS_CACHE/build/$_stem/src
	_bld=$SYS_CACHE/build/$_stem/build
	_log=$SYS_CACHE/build/$_stem/build.log
	# SYS_BUILD_IN_TREE=1: build in the source folder (for rules with relative paths).
	[ -z "${SYS_BUILD_IN_TREE:-}" ] || _bld=$_src
	rm -rf "$SYS_CACHE/build/$_stem" "$SYS_CACHE/build/stamps/$_name"
	mkdir -p "$_src" "$_bld"
	tar -xzf "$_tar" -C "$_src" --strip-components=1 || sys_die "cannot unpack $_tar"
	# SYS_BUILD_NO_WERROR=1: upstream's -Werror dropped (a newer compiler
	# warns where upstream's does not; the code is not ours to fix).
	if [ -n "${SYS_BUILD_NO_WERROR:-}" ]; then
		find "$_src" -name CMakeLists.txt -exec sed -i 's/ -Werror\([ )]\)/\1/g' {} +
	fi
	sys_say "building $_stem (log: $_log)"
	return 0
}

_sys_build_fail() {
	tail -n 30 "$_log" >&2
	sys_die "building $_stem failed (full log: $_log)"
}

_sys_build_end() {
	printf '%s\n' "$_want" >"$SYS_CACHE/build/stamps/$_name"
}

# Flags that point every build at the stage's headers and libraries.
_sys_stage_env() {
	CFLAGS="-I$SYS_STAGE/usr/include ${SYS_BUILD_CFLAGS:-}"
	LDFLAGS="-L$SYS_STAGE/usr/lib -Wl,-rpath-link,$SYS_STAGE/usr/lib"
	PKG_CONFIG_PATH="$SYS_STAGE/usr/lib/pkgconfig"
	export CFLAGS LDFLAGS PKG_CONFIG_PATH
}

sys_build_cmake() {
	_name=$1 _deps=$2; shift 2
	_args="" _targets=""
	_after=0
	for _a in "$@"; do
		if [ "$_a" = -- ]; then _after=1; continue; fi
		if [ $_after = 1 ]; then _targets="$_targets $_a"; else _args="$_args $_a"; fi
	done
	_sys_build_begin "$_name" "$_deps" "$_args targets:$_targets" || return 0
	(
		_sys_stage_env
		# shellcheck disable=SC2086
		cmake -S "$_src" -B "$_bld" -DCMAKE_INSTALL_PREFIX=/usr \
			-DCMAKE_PREFIX_PATH="$SYS_STAGE/usr" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_BUILD_TYPE=None $_args &&
			if [ -z "$_targets" ]; then
				make -C "$_bld" -j"$(nproc)" && make -C "$_bld" install DESTDIR="$SYS_STAGE"
			else
				# shellcheck disable=SC2086
				make -C "$_bld" -j"$(nproc)" $_targets &&
					"${SYS_BUILD_INSTALL_FN:?targets given without SYS_BUILD_INSTALL_FN}" "$_src" "$_bld"
			fi
	) >"$_log" 2>&1 || _sys_build_fail
	_sys_build_end
}

sys_build_meson() {
	_name=$1 _deps=$2; shift 2
	_sys_build_begin "$_name" "$_deps" "$*" || return 0
	(
		_sys_stage_env
		meson setup "$_bld" "$_src" --prefix=/usr --libdir=lib "$@" &&
			ninja -C "$_bld" && DESTDIR="$SYS_STAGE" ninja -C "$_bld" install
	) >"$_log" 2>&1 || _sys_build_fail
	_sys_build_end
}

# Run a build step under the cache's lock.
_sys_locked() {
	mkdir -p "$SYS_CACHE"
	(
		flock 9 || sys_die "cannot lock $SYS_CACHE/build.lock"
		"$@"
	) 9>"$SYS_CACHE/build.lock"
}

_sys_install_udebug() {
	install -D -m 0755 "$2/libudebug.so" "$SYS_STAGE/usr/lib/libudebug.so" &&
		install -D -m 0644 "$1/udebug.h" "$SYS_STAGE/usr/include/udebug.h"
}

_sys_build_openwrt() {
	sys_apt_install $SYS_BUILD_APT
	sys_build_cmake libubox "" -DBUILD_LUA=OFF -DBUILD_EXAMPLES=OFF
	sys_build_cmake ubus "libubox" -DBUILD_LUA=OFF -DBUILD_EXAMPLES=OFF
	sys_build_cmake uci "libubox" -DBUILD_LUA=OFF
	# udebug: the library procd links; its ucode module needs ucode.
	SYS_BUILD_INSTALL_FN=_sys_install_udebug sys_build_cmake udebug "libubox ubus" \
		-Ducode_include_dir="$SYS_STAGE/usr/include" -- udebug
	# procd: glibc 2.36 has no strlcpy (2.38 does); a shim header forced into
	# every unit, and warnings not fatal (newer gcc warns where upstream's does not).
	mkdir -p "$SYS_CACHE/build/shim"
	cat >"$SYS_CACHE/build/shim/strlcpy.h" <<'EOF'
/* strlcpy for glibc < 2.38, for building procd on Debian 12. */
#include <string.h>
static inline size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
EOF
	SYS_BUILD_CFLAGS="-include $SYS_CACHE/build/shim/strlcpy.h" SYS_BUILD_NO_WERROR=1 \
		sys_build_cmake procd "libubox ubus uci udebug"
	SYS_BUILD_IN_TREE=1 sys_build_cmake jsonpath "libubox"
	sys_build_cmake opkg-lede "libubox" -DSTATIC_UBOX=ON -DENABLE_USIGN=OFF -DBUILD_TESTS=OFF \
		-DVERSION=38eccbb
}

_sys_build_apk() {
	sys_apt_install $SYS_BUILD_APT
	sys_build_meson apk-tools "" -Ddocs=disabled -Dhelp=disabled -Dlua=disabled \
		-Dpython=disabled -Dtests=disabled -Dzstd=enabled
}

sys_build_openwrt() { _sys_locked _sys_build_openwrt; }
sys_build_apk() { _sys_locked _sys_build_apk; }
