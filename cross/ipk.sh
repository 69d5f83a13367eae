#!/bin/sh
# cross/ipk.sh — OpenWrt .ipk packages without the OpenWrt SDK.
#
# For each OpenWrt arch below, packs dist/<rust target>/chperms (from
# `make cross`) with openwrt-package/files/ and LICENSE into
#   dist/chperms_<version>_<arch>.ipk
# in the format opkg (OpenWrt <= 24.10) installs: a gzip'd tar holding
# ./debian-binary ./data.tar.gz ./control.tar.gz, as OpenWrt's ipkg-build
# writes it. Control fields, postinst/prerm and the postrm come from the
# same places the feed package uses (openwrt-package/Makefile, read by
# openwrt-package/pkg-meta.sh). CHPERMS_PKG_RELEASE=N makes release N instead
# of the Makefile's PKG_RELEASE (the system test's "next version").
#
# Deterministic: owner 0:0, names sorted, every mtime = SourceDateEpoch (the
# last commit's time, or $SOURCE_DATE_EPOCH), gzip without name/time. Two
# runs on the same commit give byte-identical files.
set -eu
. "$(dirname "$0")/env.sh"

cd "$REPO"
. "$REPO/openwrt-package/pkg-meta.sh"
pkg_meta_load "$REPO"
version=$pkg_version
epoch=$pkg_epoch
# ipkg's Alternatives field: comma-separated.
alternatives=$(printf '%s' "$pkg_alternatives" | sed 's/ \+/, /g')
# The description, each line indented by one space (ipkg continuation).
description=$(printf '%s\n' "$pkg_description" | sed 's/^/ /')

# tar as ipkg-build runs it: GNU format, numeric 0:0, sorted, fixed mtime.
det_tar() {
	tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name \
		--mtime="@$epoch" "$@"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-ipk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umask 022

echo "$pkg_arches" | while IFS=: read -r arch target; do
	bin="$DIST/$target/chperms"
	[ -f "$bin" ] || die "$bin missing: run 'make cross' first"
	rm -rf "${work:?}/$arch"
	data="$work/$arch/data"
	ctrl="$work/$arch/control"
	mkdir -p "$data" "$ctrl"
	pkg_meta_files "$REPO" "$bin" "$data"

	size=$(du -sb "$data" | cut -f1)
	{
		echo "Package: chperms"
		echo "Version: $version"
		echo "Depends: libc"
		echo "Alternatives: $alternatives"
		echo "Source: feeds/chperms/chperms"
		echo "SourceName: chperms"
		echo "License: $pkg_license"
		echo "Section: $pkg_section"
		echo "SourceDateEpoch: $epoch"
		echo "Architecture: $arch"
		echo "Installed-Size: $size"
		printf 'Description: %s\n' "$(printf '%s\n' "$description" | sed '1s/^ //')"
	} >"$ctrl/control"
	echo "/etc/config/chperms" >"$ctrl/conffiles"
	# postinst/prerm exactly as OpenWrt generates them: default_postinst
	# handles alternatives and enables/starts /etc/init.d/chperms.
	cat >"$ctrl/postinst" <<'EOF'
#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_postinst $0 $@
EOF
	cat >"$ctrl/prerm" <<'EOF'
#!/bin/sh
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_prerm $0 $@
EOF
	printf '%s\n' "$pkg_postrm" >"$ctrl/postrm"
	chmod 0644 "$ctrl/control" "$ctrl/conffiles"
	chmod 0755 "$ctrl/postinst" "$ctrl/prerm" "$ctrl/postrm"

	(cd "$data" && det_tar -cf - .) | gzip -9n >"$work/$arch/data.tar.gz"
	(cd "$ctrl" && det_tar -cf - .) | gzip -9n >"$work/$arch/control.tar.gz"
	echo "2.0" >"$work/$arch/debian-binary"
	chmod 0644 "$work/$arch/debian-binary" "$work/$arch/data.tar.gz" "$work/$arch/control.tar.gz"
	out="$DIST/chperms_${version}_${arch}.ipk"
	(cd "$work/$arch" && det_tar -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) \
		| gzip -9n >"$out.tmp"
	mv "$out.tmp" "$out"
	say "$out ($(wc -c <"$out") bytes, $target)"
done
