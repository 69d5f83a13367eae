#!/bin/sh
# cross/build.sh [TARGET...] — static, stripped, size-optimised release builds.
#
# Builds each TARGET (default: all five) with std rebuilt from source and zig
# as the linker, then writes dist/<target>/chperms (stripped). The unstripped
# binary stays in target/cross/<target>/release/chperms for `make size`.
#
# How (see cross/README.md for why):
#   RUSTC_BOOTSTRAP=1 cargo zigbuild --release --target T -Zbuild-std=std,panic_abort
#   RUSTFLAGS: -Zunstable-options -Cpanic=immediate-abort (+ per-target flags)
# Incremental: cargo's fingerprints decide; a re-run with no change takes seconds.
#
# CROSS_PIE=1: static-pie on MIPS as well (see reloc_flags below).
# CROSS_PANIC=abort: a debugging build whose panics print their message
# (std's panic=abort, no backtrace support) instead of dying silently; about
# 125 KiB bigger on mipsel. Built in its own target dir so that switching
# back and forth does not rebuild std each time.
set -eu
. "$(dirname "$0")/env.sh"
need_tools

case "${CROSS_PANIC:-immediate-abort}" in
immediate-abort)
	panic_flags="-Zunstable-options -Cpanic=immediate-abort"
	std_features="-Zbuild-std-features=optimize_for_size"
	;;
abort)
	panic_flags=""
	std_features="-Zbuild-std-features="
	CROSS_TARGET_DIR="$CROSS_TARGET_DIR-panic-abort"
	;;
*) die "CROSS_PANIC must be immediate-abort (default) or abort, not '$CROSS_PANIC'" ;;
esac

# Size flags for every release build (see cross/README.md, "Size budget"):
# no Debug formatting (`{:?}` prints nothing; chperms never shows Debug
# output to users), no panic locations, no unwind tables (nothing unwinds).
size_flags="-Zfmt-debug=none -Zlocation-detail=none -Cforce-unwind-tables=no"

# MIPS: a position-dependent static executable, not static-pie. MIPS PIC code
# calls through the GOT and sets up $gp in every function, about 45 KB (15%)
# of chperms; without it the mipsel binary fits its 256 KiB budget. The cost
# is ASLR of the program image (stack, heap and mappings stay randomised), the
# same trade OpenWrt makes by default on small-flash devices. CROSS_PIE=1 keeps
# PIE on MIPS too. The other targets are always static-pie.
reloc_flags() {
	case "$1:${CROSS_PIE:-0}" in
	mips*:0) printf '%s' "-C relocation-model=static" ;;
	*) printf '' ;;
	esac
}

targets=${*:-$ALL_TARGETS}
cd "$REPO"

for t in $targets; do
	known_target "$t"
	say "building $t"
	# Release = the Cargo.toml [profile.release] (opt-level z, lto, cgu 1,
	# panic abort) plus: panic=immediate-abort (no panic message machinery),
	# std from source so those settings reach std too, and symbols kept here
	# (we strip below) so that `make size` can name the largest functions.
	RUSTC_BOOTSTRAP=1 \
	CARGO_TARGET_DIR="$CROSS_TARGET_DIR" \
	CARGO_PROFILE_RELEASE_STRIP=false \
	RUSTFLAGS="$panic_flags $size_flags $(target_rustflags "$t") $(reloc_flags "$t")" \
		cargo zigbuild --quiet --release --locked --target "$t" \
		-Zbuild-std=std,panic_abort $std_features --bin chperms \
		|| die "cargo zigbuild for $t (is 'make deps-cross' done? see the error above)"

	src="$CROSS_TARGET_DIR/$t/release/chperms"
	[ -f "$src" ] || die "$t: cargo reported success but $src is missing"
	mkdir -p "$DIST/$t"
	out="$DIST/$t/chperms"
	# binutils-multiarch strip reads every ELF machine. .comment holds
	# compiler version strings; .pdr is MIPS debug-only procedure data that the
	# loader never maps. Neither changes what runs.
	strip --strip-all -R .comment -R .pdr -R .gnu.build.attributes \
		-o "$out.tmp" "$src" || die "strip failed for $t"
	mv "$out.tmp" "$out"

	desc=$(file -b "$out")
	case "$desc" in
	*"statically linked"* | *"static-pie linked"*) ;;
	*) die "$out is not static: $desc" ;;
	esac
	case "$desc" in *", stripped"*) ;; *) die "$out is not stripped: $desc" ;; esac
	say "$out $(wc -c <"$out") bytes"
done
