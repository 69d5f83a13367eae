# tests/system/openrc/abuild.sh — Alpine's own abuild, from
# ../shared/vendor/abuild-*.tar.gz, run under BusyBox ash on this Debian
# host (sourced by tests/pkg/test-alpine.sh and run.sh). abuild is shell: its
# scripts only need @sharedir@/@sysconfdir@ filled in, as its Makefile does
# with sed; nothing is compiled. `apk` is replaced by a stub that answers
# `apk version --check` with apk's version grammar (the only apk call that
# validate and package make); nothing else of apk is needed here.
#
#   abuild_tool              $ABUILD_HOME/bin/abuild (cached in target/system/abuild)
#   abuild_in DIR ARGS...    `abuild -F ARGS` in the aport directory DIR
#   abuild_package APORT BIN  in APORT (a copy of alpine/): abuild's own
#                            package step and split functions, on a release
#                            tree holding BIN as target/release/chperms;
#                            leaves APORT/pkg/<package>/ as apk would install them

: "${ABUILD_HOME:=target/system/abuild}"

abuild_tool() {
	tarball=$(ls "$REPO"/../shared/vendor/abuild-*.tar.gz 2>/dev/null | head -1)
	[ -n "$tarball" ] || { echo "abuild: no ../shared/vendor/abuild-*.tar.gz" >&2; return 1; }
	mkdir -p "$ABUILD_HOME"
	ABUILD_HOME=$(cd "$ABUILD_HOME" && pwd)
	stamp="$ABUILD_HOME/.from-$(basename "$tarball")"
	[ -f "$stamp" ] && return 0
	rm -rf "$ABUILD_HOME"/src "$ABUILD_HOME"/bin "$ABUILD_HOME"/share "$ABUILD_HOME"/etc "$ABUILD_HOME"/.from-*
	mkdir -p "$ABUILD_HOME/src" "$ABUILD_HOME/bin" "$ABUILD_HOME/share" "$ABUILD_HOME/etc"
	tar -xzf "$tarball" -C "$ABUILD_HOME/src" --strip-components=1 || return 1
	for f in abuild functions.sh; do
		sed -e "s:@VERSION@:$(basename "$tarball" .tar.gz | sed 's/^abuild-//'):g" -e 's:@prefix@:/usr:g' \
			-e "s:@sysconfdir@:$ABUILD_HOME/etc:g" -e "s:@sharedir@:$ABUILD_HOME/share:g" \
			"$ABUILD_HOME/src/$f.in" >"$ABUILD_HOME/share/$f"
	done
	mv "$ABUILD_HOME/share/abuild" "$ABUILD_HOME/bin/abuild"
	cp "$ABUILD_HOME/src/default.conf" "$ABUILD_HOME/share/"
	: >"$ABUILD_HOME/etc/abuild.conf"
	cat >"$ABUILD_HOME/bin/apk" <<'STUB'
#!/bin/sh
# Stub of apk for abuild on a host without apk-tools: `apk version --check
# [--quiet] [--] VERSION` with apk's version grammar; anything else fails.
[ "$1 $2" = "version --check" ] || { echo "apk stub: only 'apk version --check' (got: $*)" >&2; exit 1; }
shift 2
[ "$1" = --quiet ] && shift
[ "$1" = -- ] && shift
printf '%s\n' "$1" | grep -Eqx '[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(-r[0-9]+)?'
STUB
	chmod 755 "$ABUILD_HOME/bin/abuild" "$ABUILD_HOME/bin/apk"
	: >"$stamp"
}

# abuild_in DIR ARGS... — as root (-F), for x86_64 musl (what CBUILD would be
# on an Alpine builder), with no user configuration.
abuild_in() {
	dir=$1
	shift
	(cd "$dir" && PATH="$ABUILD_HOME/bin:$PATH" CBUILD=x86_64-alpine-linux-musl \
		ABUILD_USERDIR="$ABUILD_HOME/user" ABUILD_SHAREDIR="$ABUILD_HOME/share" \
		busybox ash "$ABUILD_HOME/bin/abuild" -F "$@")
}

# The local sources of APORT's APKBUILD (the `source` entries that are not URLs).
apkbuild_local_sources() {
	sed -n '/^source="/,/"/p' "$1/APKBUILD" | sed 's/^source="//; s/"$//' | grep -v '://' | grep .
}

abuild_package() {
	aport=$1 bin=$2
	ver=$(sed -n 's/^pkgver=//p' "$aport/APKBUILD")
	b="$aport/src/chperms-$ver"
	rm -rf "$aport/src" "$aport/pkg"
	mkdir -p "$b/target/release"
	cp "$bin" "$b/target/release/chperms"
	cp "$REPO/LICENSE" "$b/"
	for f in $(apkbuild_local_sources "$aport"); do cp "$aport/$f" "$aport/src/$f"; done
	abuild_in "$aport" package >"$aport/package.log" 2>&1 || { cat "$aport/package.log"; return 1; }
	for sub in $(sed -n 's/^subpackages="\(.*\)"/\1/p' "$aport/APKBUILD"); do
		sub=$(echo "$sub" | sed 's/^\$pkgname/chperms/')
		subpkgdir="$aport/pkg/$sub" subpkgname="$sub" abuild_in "$aport" pre_split "${sub##*-}" \
			>>"$aport/package.log" 2>&1 || { cat "$aport/package.log"; return 1; }
	done
}
