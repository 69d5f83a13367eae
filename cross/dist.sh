#!/bin/sh
# cross/dist.sh — the release tarball, buildable offline.
#
#   sh cross/dist.sh          write dist/chperms-<version>.tar.gz (+ .sha256,
#                             .sha512), fill PKG_HASH in openwrt-package/Makefile
#                             and the tarball's sha512sums line in alpine/APKBUILD;
#                             prints what to do next
#   sh cross/dist.sh name     print the tarball's file name (nothing built)
#   sh cross/dist.sh sha512   build it if needed, print "<sha512>  <name>"
#                             (the line abuild's sha512sums wants)
#   sh cross/dist.sh sha256   the same for sha256 (OpenWrt's PKG_HASH)
#
# The tarball: chperms-<version>/ holding the committed tree (git archive
# HEAD: uncommitted changes are NOT in it), the crates from `cargo vendor`
# in vendor/ and .cargo/config.toml pointing cargo at them, so the OpenWrt
# SDK and abuild build it without network.
#
# Chicken and egg: a tarball cannot contain the file that holds its own hash.
# The packaging recipes that carry hashes of it, openwrt-package/Makefile
# (PKG_HASH) and alpine/APKBUILD (sha512sums), are therefore left out of the
# tarball (they live in the feed / aports, not in the source). Filling the
# hash changes neither the tarball nor its hash: `make dist` twice gives the
# same bytes (fixed mtimes, sorted names, 0:0, gzip -n).
set -eu
. "$(dirname "$0")/env.sh"
cd "$REPO"

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -1)
[ -n "$version" ] || die "no version in Cargo.toml [package]"
name="chperms-$version.tar.gz"
out="$DIST/$name"
# Files that hold hashes of the tarball (see above).
EXCLUDE="openwrt-package/Makefile alpine/APKBUILD"

mode=${1:-build}
case $mode in
name) echo "$name"; exit 0 ;;
build | sha512 | sha256) ;;
*) die "usage: dist.sh [name|sha512|sha256]" ;;
esac

# build: the tarball of HEAD, unless it is already there for this content.
# Its mtimes and the cache key ignore the excluded files, so committing a
# filled PKG_HASH does not change the tarball.
head=$(git rev-parse HEAD 2>/dev/null) || die "not a git checkout: make dist packs the committed tree"
set --
for f in $EXCLUDE; do set -- "$@" ":(exclude)$f"; done
key=$(git ls-tree -r HEAD | awk -v ex=" $EXCLUDE " 'index(ex, " " $4 " ") == 0' | sha256sum | cut -c1-64)
if [ ! -f "$out" ] || [ "$(cat "$out.key" 2>/dev/null)" != "$key" ]; then
	git diff --quiet HEAD -- 2>/dev/null ||
		say "note: uncommitted changes are not in the tarball (it packs HEAD, $head)" >&2
	epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct -- . "$@")}
	work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-dist.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
	top="$work/chperms-$version"
	mkdir -p "$top"
	git archive --format=tar HEAD | tar -xf - -C "$top"
	for f in $EXCLUDE; do rm -f "$top/$f"; done
	# Vendored crates, exactly those Cargo.lock names.
	(cd "$top" && cargo vendor --locked --quiet vendor >/dev/null) ||
		die "cargo vendor failed (it needs crates.io once; the tarball then builds offline)"
	mkdir -p "$top/.cargo"
	cat >"$top/.cargo/config.toml" <<'EOF'
# Written by cross/dist.sh: build from the crates in vendor/, offline.
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
EOF
	mkdir -p "$DIST"
	(cd "$work" && tar --format=gnu --sort=name --numeric-owner --owner=0 --group=0 \
		--mtime="@$epoch" --mode='u+rw,go+r,go-w' -cf - "chperms-$version") | gzip -9n >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$key" >"$out.key"
	(cd "$DIST" && sha256sum "$name" >"$name.sha256" && sha512sum "$name" >"$name.sha512")
fi

sha256=$(cut -d' ' -f1 "$out.sha256")
case $mode in
sha512) cat "$out.sha512"; exit 0 ;;
sha256) cat "$out.sha256"; exit 0 ;;
esac

# Fill PKG_HASH (and PKG_SOURCE) in the feed Makefile.
mk=openwrt-package/Makefile
sed -i "s/^PKG_HASH:=.*/PKG_HASH:=$sha256/; s/^PKG_SOURCE:=.*/PKG_SOURCE:=\$(PKG_NAME)-\$(PKG_VERSION).tar.gz/" "$mk"
grep -q "^PKG_HASH:=$sha256$" "$mk" || die "could not write PKG_HASH into $mk"
# And the tarball's line in the APKBUILD's sha512sums ("<hash>  <name>").
apkbuild=alpine/APKBUILD
if [ -f "$apkbuild" ] && grep -q "^[^ ]*  $name\$" "$apkbuild"; then
	sha512=$(cut -d' ' -f1 "$out.sha512")
	sed -i "s/^[^ ]*  $name\$/$sha512  $name/" "$apkbuild"
	grep -q "^$sha512  $name\$" "$apkbuild" || die "could not write the sha512 into $apkbuild"
	say "$apkbuild: sha512sums line for $name"
fi
say "$out ($(wc -c <"$out") bytes, HEAD $head)"
say "$mk: PKG_HASH:=$sha256"
say "APKBUILD sha512sums: $(cat "$out.sha512")"
say "publish $name at the Makefile's PKG_SOURCE_URL (or copy it into the SDK's dl/), then commit $mk and $apkbuild"
