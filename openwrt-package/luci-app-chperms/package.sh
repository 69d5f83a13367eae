#!/bin/sh
# openwrt-package/luci-app-chperms/package.sh — luci-app-chperms without the
# OpenWrt SDK, as an .ipk (`make ipk`) or an apk v3 package (`make apk`).
#
#   sh openwrt-package/luci-app-chperms/package.sh ipk [OUTDIR]
#       OUTDIR/luci-app-chperms_<version>_all.ipk      (default OUTDIR: dist)
#   sh openwrt-package/luci-app-chperms/package.sh apk [OUTDIR [APK]]
#       OUTDIR/luci-app-chperms-<version>.apk (arch noarch; default OUTDIR:
#       dist/apk/noarch), made with the `apk mkpkg` of apk-tools 3 at APK, by
#       default the one the system-test harness builds from ../shared/vendor
#
# The files are laid out as LuCI's luci.mk installs them (htdocs/ -> /www,
# root/ -> /), the control fields come from the Makefile next to this script,
# and the maintainer scripts are the ones OpenWrt generates for a LuCI app:
# default_postinst / default_prerm, with luci.mk's postinst (drop LuCI's
# caches, SIGHUP rpcd so that it loads the new ACL and backend) as
# postinst-pkg (in the apk: after default_postinst in post-install, as
# OpenWrt's package-pack.mk writes it, with /lib/apk/packages/<name>.list).
# Deterministic like cross/ipk.sh: owner 0:0, sorted names,
# every mtime the last commit's time (or $SOURCE_DATE_EPOCH).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
format=${1:-ipk}
out=${2:-$repo/dist}
apk_bin=${3:-}
case $format in
ipk) ;;
apk)
	out=${2:-$repo/dist/apk/noarch}
	if [ -z "$apk_bin" ]; then
		# apk-tools 3, built once into target/system (as cross/apk.sh does).
		SYS_ME=package.sh
		. "$repo/tests/system/lib/common.sh"
		. "$repo/tests/system/lib/build.sh"
		sys_need_vendor >/dev/null || { echo "package.sh: no ../shared/vendor to build apk-tools from" >&2; exit 1; }
		sys_build_apk
		apk_bin=$SYS_STAGE/usr/bin/apk
		LD_LIBRARY_PATH=$SYS_STAGE/usr/lib
		export LD_LIBRARY_PATH
	fi
	[ -x "$apk_bin" ] || { echo "package.sh apk: $apk_bin is not apk-tools 3's apk" >&2; exit 1; }
	;;
*) echo "usage: package.sh ipk [OUTDIR] | package.sh apk [OUTDIR [APK]]" >&2; exit 1 ;;
esac
mk=$here/Makefile

field() { sed -n "s/^$1:=//p" "$mk" | head -1; }
version="$(field PKG_VERSION)-r$(field PKG_RELEASE)"
license=$(field PKG_LICENSE)
# LUCI_DEPENDS: "+luci-base +chperms ..." -> "luci-base, chperms, ..."
depends=$(field LUCI_DEPENDS | sed 's/+//g; s/ \+/, /g')
title=$(field LUCI_TITLE)
descr=$(sed -n '/^LUCI_DESCRIPTION:=/,/[^\\]$/p' "$mk" | sed 's/^LUCI_DESCRIPTION:=//; s/\\$//; s/^[[:space:]]*//' | tr '\n' ' ' | tr -s ' ' | sed 's/ *$//')
[ -n "$version" ] && [ -n "$license" ] && [ -n "$depends" ] && [ -n "$title" ] ||
	{ echo "package.sh: cannot read the fields of $mk" >&2; exit 1; }

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || true)}
[ -n "$epoch" ] || { echo "package.sh: no SOURCE_DATE_EPOCH and no git commit" >&2; exit 1; }

det_tar() {
	tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$epoch" "$@"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/luci-app-chperms.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umask 022
data=$work/data ctrl=$work/control
mkdir -p "$data/www" "$ctrl" "$out"
cp -R "$here/htdocs/." "$data/www/"
cp -R "$here/root/." "$data/"
find "$data" -type d -exec chmod 0755 {} +
find "$data" -type f -exec chmod 0644 {} +
chmod 0755 "$data/usr/libexec/rpcd/luci.chperms"

{
	echo "Package: luci-app-chperms"
	echo "Version: $version"
	echo "Depends: libc, $depends"
	echo "Source: feeds/chperms/luci-app-chperms"
	echo "SourceName: luci-app-chperms"
	echo "License: $license"
	echo "Section: luci"
	echo "SourceDateEpoch: $epoch"
	echo "Architecture: all"
	echo "Installed-Size: $(du -sb "$data" | cut -f1)"
	echo "Description: $title"
	[ -z "$descr" ] || echo " $descr"
} >"$ctrl/control"
cat >"$ctrl/postinst" <<'EOF'
#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_postinst $0 $@
EOF
# luci.mk's Package/$(PKG_NAME)/postinst, unchanged.
cat >"$ctrl/postinst-pkg" <<'EOF'
[ -n "${IPKG_INSTROOT}" ] || {
	rm -f /tmp/luci-indexcache.*
	rm -rf /tmp/luci-modulecache/
	killall -HUP rpcd 2>/dev/null
	exit 0
}
EOF
cat >"$ctrl/prerm" <<'EOF'
#!/bin/sh
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_prerm $0 $@
EOF
chmod 0644 "$ctrl/control" "$ctrl/postinst-pkg"
chmod 0755 "$ctrl/postinst" "$ctrl/prerm"

if [ "$format" = apk ]; then
	name=luci-app-chperms
	meta=$data/lib/apk/packages
	mkdir -p "$meta"
	(cd "$data" && find . \( -type f -o -type l \) | sed 's|^\.||' | LC_ALL=C sort) >"$work/list"
	mv "$work/list" "$meta/$name.list"
	chmod 0755 "$data/lib" "$meta"
	chmod 0644 "$meta/$name.list"
	{
		sed '$d' "$ctrl/postinst"
		echo 'export root="${IPKG_INSTROOT}"'
		echo "export pkgname=\"$name\""
		echo 'default_postinst'
		cat "$ctrl/postinst-pkg"
	} >"$work/post-install"
	{
		sed '$d' "$ctrl/prerm"
		echo 'export root="${IPKG_INSTROOT}"'
		echo "export pkgname=\"$name\""
		echo 'default_prerm'
	} >"$work/pre-deinstall"
	chmod 0755 "$work/post-install" "$work/pre-deinstall"
	find "$data" -exec touch -h -d "@$epoch" {} +
	apk=$out/$name-$version.apk
	SOURCE_DATE_EPOCH=$epoch "$apk_bin" mkpkg \
		--info "name:$name" --info "version:$version" --info "arch:noarch" \
		--info "description:$title" --info "license:$license" --info "origin:$name" \
		--info "depends:$(echo "$depends" | tr -d ',')" \
		--script "post-install:$work/post-install" \
		--script "pre-deinstall:$work/pre-deinstall" \
		--files "$data" --output "$apk.tmp" || { echo "package.sh: apk mkpkg failed" >&2; exit 1; }
	mv "$apk.tmp" "$apk"
	echo "package.sh: $apk ($(wc -c <"$apk") bytes)"
	exit 0
fi

(cd "$data" && det_tar -cf - .) | gzip -9n >"$work/data.tar.gz"
(cd "$ctrl" && det_tar -cf - .) | gzip -9n >"$work/control.tar.gz"
echo "2.0" >"$work/debian-binary"
ipk=$out/luci-app-chperms_${version}_all.ipk
(cd "$work" && det_tar -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) | gzip -9n >"$ipk.tmp"
mv "$ipk.tmp" "$ipk"
echo "package.sh: $ipk ($(wc -c <"$ipk") bytes)"
