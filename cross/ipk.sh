#!/bin/sh
# cross/ipk.sh — OpenWrt .ipk packages without the OpenWrt SDK.
#
# For each OpenWrt arch below, packs dist/<rust target>/chperms (from
# `make cross`) with openwrt-package/files/ into
#   dist/chperms_<version>_<arch>.ipk
# in the format opkg (OpenWrt <= 24.10) installs: a gzip'd tar holding
# ./debian-binary ./data.tar.gz ./control.tar.gz, as OpenWrt's ipkg-build
# writes it. Control fields, postinst/prerm and the postrm come from the
# same places the feed package uses (openwrt-package/Makefile).
#
# Deterministic: owner 0:0, names sorted, every mtime = SourceDateEpoch (the
# last commit's time, or $SOURCE_DATE_EPOCH), gzip without name/time. Two
# runs on the same commit give byte-identical files.
set -eu
. "$(dirname "$0")/env.sh"

# OpenWrt package arch -> Rust target whose binary runs there.
ARCHES="mipsel_24kc:mipsel-unknown-linux-musl
mips_24kc:mips-unknown-linux-musl
arm_cortex-a7_neon-vfpv4:armv7-unknown-linux-musleabihf
aarch64_cortex-a53:aarch64-unknown-linux-musl
x86_64:x86_64-unknown-linux-musl"

cd "$REPO"
feed="$REPO/openwrt-package"
mk="$feed/Makefile"

# Version: Cargo.toml's, with the feed's PKG_RELEASE as OpenWrt's -rN suffix.
cargo_version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -1)
[ -n "$cargo_version" ] || die "no version in Cargo.toml [package]"
feed_version=$(sed -n 's/^PKG_VERSION:=//p' "$mk")
release=$(sed -n 's/^PKG_RELEASE:=//p' "$mk")
[ -n "$release" ] || die "no PKG_RELEASE in $mk"
[ "$feed_version" = "$cargo_version" ] \
	|| die "$mk has PKG_VERSION:=$feed_version but Cargo.toml says $cargo_version: update the feed Makefile"
version="$cargo_version-r$release"
license=$(sed -n 's/^PKG_LICENSE:=//p' "$mk")
section=$(sed -n '/^define Package\/chperms$/,/^endef/s/^ *SECTION:=//p' "$mk")
alternatives=$(sed -n '/^define Package\/chperms$/,/^endef/s/^ *ALTERNATIVES:=//p' "$mk" | sed 's/ \+/, /g')
# The description block, each line indented by one space (ipkg continuation).
description=$(sed -n '/^define Package\/chperms\/description$/,/^endef/p' "$mk" | sed '1d;$d' | sed 's/^[[:space:]]*/ /')
# The postrm block, with make's $$ turned back into $.
postrm=$(sed -n '/^define Package\/chperms\/postrm$/,/^endef/p' "$mk" | sed '1d;$d' | sed 's/\$\$/$/g')
[ -n "$license" ] && [ -n "$section" ] && [ -n "$alternatives" ] && [ -n "$description" ] && [ -n "$postrm" ] \
	|| die "could not read License/Section/Alternatives/description/postrm from $mk"

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || true)}
[ -n "$epoch" ] || die "no SOURCE_DATE_EPOCH and no git commit to take it from"

# tar as ipkg-build runs it: GNU format, numeric 0:0, sorted, fixed mtime.
det_tar() {
	tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name \
		--mtime="@$epoch" "$@"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-ipk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umask 022

echo "$ARCHES" | while IFS=: read -r arch target; do
	bin="$DIST/$target/chperms"
	[ -f "$bin" ] || die "$bin missing: run 'make cross' first"
	rm -rf "${work:?}/$arch"
	data="$work/$arch/data"
	ctrl="$work/$arch/control"
	mkdir -p "$data/usr/sbin" "$data/etc/init.d" "$data/etc/config" "$ctrl"

	install -m 0755 "$bin" "$data/usr/sbin/chperms"
	install -m 0755 "$feed/files/chperms.init" "$data/etc/init.d/chperms"
	install -m 0644 "$feed/files/chperms.config" "$data/etc/config/chperms"
	find "$data" -type d -exec chmod 0755 {} +

	size=$(du -sb "$data" | cut -f1)
	{
		echo "Package: chperms"
		echo "Version: $version"
		echo "Depends: libc"
		echo "Alternatives: $alternatives"
		echo "Source: feeds/chperms/chperms"
		echo "SourceName: chperms"
		echo "License: $license"
		echo "Section: $section"
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
	printf '%s\n' "$postrm" >"$ctrl/postrm"
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
