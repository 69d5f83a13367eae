# openwrt-package/pkg-meta.sh — what the SDK-less packagers (cross/ipk.sh,
# cross/apk.sh) take from the feed Makefile next to this file, so that the
# .ipk, the .apk and the SDK's packages say the same things. Sourced, not run
# (the OpenWrt SDK ignores it).
#
#   pkg_meta_load REPO   sets pkg_version (Cargo.toml's version + -r$PKG_RELEASE,
#                        or -r$CHPERMS_PKG_RELEASE when set: a test's "next
#                        release"), pkg_license, pkg_section, pkg_alternatives
#                        (space-separated PRIO:LINK:TARGET), pkg_description
#                        (one line per line, unindented), pkg_postrm (the
#                        postrm script), pkg_title, pkg_url, pkg_epoch
#                        (SOURCE_DATE_EPOCH or the last commit's time),
#                        pkg_arches (one "OPENWRT_ARCH:RUST_TARGET" per line:
#                        the package architectures we build, and the Rust
#                        target whose static binary runs there)
#   pkg_meta_files REPO BINARY DIR   installs the package's files into DIR:
#                        /usr/sbin/chperms, /etc/init.d/chperms, /etc/config/chperms,
#                        /usr/share/licenses/chperms/LICENSE (as Package/chperms/install)
#
# Both call `die` (from cross/env.sh) on a problem.

pkg_meta_load() {
	_mk=$1/openwrt-package/Makefile
	_cargo=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$1/Cargo.toml" | head -1)
	[ -n "$_cargo" ] || die "no version in Cargo.toml [package]"
	_feed=$(sed -n 's/^PKG_VERSION:=//p' "$_mk")
	_release=${CHPERMS_PKG_RELEASE:-$(sed -n 's/^PKG_RELEASE:=//p' "$_mk")}
	[ -n "$_release" ] || die "no PKG_RELEASE in $_mk"
	[ "$_feed" = "$_cargo" ] ||
		die "$_mk has PKG_VERSION:=$_feed but Cargo.toml says $_cargo: update the feed Makefile"
	pkg_version="$_cargo-r$_release"
	pkg_license=$(sed -n 's/^PKG_LICENSE:=//p' "$_mk")
	_block() { sed -n "/^define Package\/chperms$/,/^endef/s/^ *$1:=//p" "$_mk"; }
	pkg_section=$(_block SECTION)
	pkg_title=$(_block TITLE)
	pkg_url=$(_block URL)
	pkg_alternatives=$(_block ALTERNATIVES)
	pkg_description=$(sed -n '/^define Package\/chperms\/description$/,/^endef/p' "$_mk" | sed '1d;$d' | sed 's/^[[:space:]]*//')
	# make's $$ turned back into $.
	pkg_postrm=$(sed -n '/^define Package\/chperms\/postrm$/,/^endef/p' "$_mk" | sed '1d;$d' | sed 's/\$\$/$/g')
	[ -n "$pkg_license" ] && [ -n "$pkg_section" ] && [ -n "$pkg_alternatives" ] &&
		[ -n "$pkg_description" ] && [ -n "$pkg_postrm" ] && [ -n "$pkg_title" ] ||
		die "could not read License/Section/Title/Alternatives/description/postrm from $_mk"
	pkg_arches="mipsel_24kc:mipsel-unknown-linux-musl
mips_24kc:mips-unknown-linux-musl
arm_cortex-a7_neon-vfpv4:armv7-unknown-linux-musleabihf
aarch64_cortex-a53:aarch64-unknown-linux-musl
x86_64:x86_64-unknown-linux-musl"
	pkg_epoch=${SOURCE_DATE_EPOCH:-$(git -C "$1" log -1 --format=%ct 2>/dev/null || true)}
	[ -n "$pkg_epoch" ] || die "no SOURCE_DATE_EPOCH and no git commit to take it from"
}

pkg_meta_files() {
	_files=$1/openwrt-package/files
	[ -f "$2" ] || die "$2 missing: run 'make cross' first"
	mkdir -p "$3/usr/sbin" "$3/etc/init.d" "$3/etc/config" "$3/usr/share/licenses/chperms"
	install -m 0755 "$2" "$3/usr/sbin/chperms"
	install -m 0755 "$_files/chperms.init" "$3/etc/init.d/chperms"
	install -m 0644 "$_files/chperms.config" "$3/etc/config/chperms"
	install -m 0644 "$1/LICENSE" "$3/usr/share/licenses/chperms/LICENSE"
	find "$3" -type d -exec chmod 0755 {} +
}
