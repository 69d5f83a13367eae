# Shared settings for the cross scripts. Sourced, not run.
#
# REPO, TOOLS, the five release targets, and the per-target flags live here so
# that build.sh, test.sh, size.sh and ipk.sh agree on them.

REPO=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$REPO/.tools"
PATH="$TOOLS/bin:$PATH"
export PATH

# Release targets, in the order tables are printed.
ALL_TARGETS="x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl mips-unknown-linux-musl"

# Our own target dir for cross work: never the host's target/ root, so host
# `cargo test` and cross builds do not invalidate each other.
CROSS_TARGET_DIR="${CROSS_TARGET_DIR:-$REPO/target/cross}"
DIST="${CROSS_DIST:-$REPO/dist}"

die() { printf '%s: FAILED: %s\n' "${0##*/}" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "${0##*/}" "$*"; }

# need_tools: stop with the fix when `make deps-cross` has not been run.
need_tools() {
	for t in zig cargo-zigbuild; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found in .tools/bin: run 'make deps-cross' (cross/install-tools.sh)"
	done
}

# target_rustflags TARGET: flags every build for TARGET needs, release or test.
# link-self-contained=no: rustc would otherwise look for its own musl crt
# objects (rcrt1.o...) in the rust-std component of tier-2 targets, which we do
# not install (std is rebuilt from source) and which clash with zig's on armv7.
# zig supplies crt objects, musl libc and libunwind for every target.
target_rustflags() {
	printf '%s' "-C link-self-contained=no"
}

# qemu_for TARGET: the qemu-user binary that runs TARGET's executables.
qemu_for() {
	case "$1" in
	x86_64-*) printf '' ;;
	aarch64-*) printf 'qemu-aarch64-static' ;;
	armv7-*) printf 'qemu-arm-static' ;;
	mipsel-*) printf 'qemu-mipsel-static' ;;
	mips-*) printf 'qemu-mips-static' ;;
	*) die "no qemu known for $1" ;;
	esac
}

# known_target TARGET: die unless TARGET is one of ours.
known_target() {
	case " $ALL_TARGETS " in *" $1 "*) ;; *) die "unknown target '$1' (known: $ALL_TARGETS)" ;; esac
}
