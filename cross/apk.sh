#!/bin/sh
# cross/apk.sh — OpenWrt apk v3 packages (OpenWrt 25.12 and later) without
# the OpenWrt SDK.
#
# For each OpenWrt arch below, packs dist/<rust target>/chperms (from
# `make cross`) with openwrt-package/files/ and LICENSE into
#   dist/apk/<arch>/chperms-<version>.apk
# with `apk mkpkg` from apk-tools 3 built from ../shared/vendor (the system
# test harness builds and caches it under target/system). The layout is what
# OpenWrt's include/package-pack.mk gives a package with CONFIG_USE_APK:
#   /lib/apk/packages/chperms.list          every file and link, sorted
#   /lib/apk/packages/chperms.alternatives  PRIO:LINK:TARGET (stat, find)
#   /lib/apk/packages/chperms.conffiles     /etc/config/chperms
#   /lib/apk/packages/chperms.conffiles_static   the same with its sha256
#   scripts post-install, post-upgrade, pre-deinstall: OpenWrt's
#   default_postinst / default_prerm from /lib/functions.sh (alternatives,
#   enable + start / stop + disable of /etc/init.d/chperms);
#   post-deinstall: the feed Makefile's postrm.
#
# The packages are not signed: install them with
#   apk add --allow-untrusted chperms-<version>.apk
# (a feed signs its index and packages with its own key; see
# openwrt-package/README.md). Deterministic: fixed mtimes (SOURCE_DATE_EPOCH),
# 0:0. CHPERMS_PKG_RELEASE=N builds release N (see openwrt-package/pkg-meta.sh).
set -eu
. "$(dirname "$0")/env.sh"

cd "$REPO"
. "$REPO/openwrt-package/pkg-meta.sh"
pkg_meta_load "$REPO"

# apk-tools 3 from the vendored source, built once into target/system.
SYS_ME=apk.sh
. "$REPO/tests/system/lib/common.sh"
. "$REPO/tests/system/lib/build.sh"
sys_need_vendor >/dev/null || die "apk-tools sources not found at $SYS_VENDOR (set CHPERMS_VENDOR=DIR): 'make apk' builds apk mkpkg from them"
sys_build_apk
APK="$SYS_STAGE/usr/bin/apk"
export LD_LIBRARY_PATH="$SYS_STAGE/usr/lib"
SOURCE_DATE_EPOCH=$pkg_epoch
export SOURCE_DATE_EPOCH

work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-apk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umask 022

# The scripts package-pack.mk writes (pkgname exported: apk runs scripts
# under names that are not the package's).
head='#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
export root="${IPKG_INSTROOT}"
export pkgname="chperms"'
printf '%s\nadd_group_and_user\ndefault_postinst\n' "$head" >"$work/post-install"
{
	printf '#!/bin/sh\nexport PKG_UPGRADE=1\n'
	sed '/^#!/d' "$work/post-install"
} >"$work/post-upgrade"
printf '%s\ndefault_prerm\n' "$(printf '%s\n' "$head" | sed '2d')" >"$work/pre-deinstall"
printf '%s\n' "$pkg_postrm" >"$work/post-deinstall"
chmod 0755 "$work"/post-install "$work"/post-upgrade "$work"/pre-deinstall "$work"/post-deinstall

echo "$pkg_arches" | while IFS=: read -r arch target; do
	bin="$DIST/$target/chperms"
	data="$work/$arch"
	rm -rf "$data"
	mkdir -p "$data"
	pkg_meta_files "$REPO" "$bin" "$data"
	meta="$data/lib/apk/packages"
	mkdir -p "$meta"
	chmod 0755 "$data/lib" "$meta"
	echo "$pkg_alternatives" >"$meta/chperms.alternatives"
	# The list is taken before .list, .conffiles and .conffiles_static exist,
	# as package-pack.mk does.
	(cd "$data" && find . \( -type f -o -type l \) | sed 's|^\.||' | LC_ALL=C sort) >"$work/list"
	mv "$work/list" "$meta/chperms.list"
	echo /etc/config/chperms >"$meta/chperms.conffiles"
	echo "/etc/config/chperms $(sha256sum "$data/etc/config/chperms" | cut -d' ' -f1)" \
		>"$meta/chperms.conffiles_static"
	chmod 0644 "$meta"/*
	find "$data" -exec touch -h -d "@$pkg_epoch" {} +

	out="$DIST/apk/$arch/chperms-$pkg_version.apk"
	mkdir -p "$DIST/apk/$arch"
	"$APK" mkpkg \
		--info "name:chperms" \
		--info "version:$pkg_version" \
		--info "description:$(printf '%s' "$pkg_description" | tr '\n' ' ')" \
		--info "arch:$arch" \
		--info "license:$pkg_license" \
		--info "origin:chperms" \
		--info "url:$pkg_url" \
		--info "provides:chperms-any" \
		--info "depends:libc" \
		--script "post-install:$work/post-install" \
		--script "post-upgrade:$work/post-upgrade" \
		--script "pre-deinstall:$work/pre-deinstall" \
		--script "post-deinstall:$work/post-deinstall" \
		--files "$data" \
		--output "$out.tmp" || die "apk mkpkg for $arch failed"
	mv "$out.tmp" "$out"
	say "$out ($(wc -c <"$out") bytes, $target)"
done
