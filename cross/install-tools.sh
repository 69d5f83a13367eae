#!/bin/sh
# Install everything `make cross`, `make cross-test`, `make size`, `make ipk`
# and the package tests need, on Debian with rustup, as root.
#
# Idempotent: each piece is checked first and only installed when missing or at
# the wrong version, so a second run costs seconds. Every version is pinned
# here. When something cannot be installed this script stops with the reason;
# it never leaves a target half-supported so that a later step "skips" it.
#
# Installs:
#   Debian packages  qemu-user-static file busybox binutils-multiarch python3-venv
#   rustup           rust-src for the active toolchain (for -Zbuild-std)
#   PyPI             ziglang==$ZIG_VERSION in .tools/venv, wrapped as .tools/bin/zig
#   crates.io        cargo-zigbuild $ZIGBUILD_VERSION into .tools/bin
set -eu

# Pinned versions. zig 0.14.1 links all five targets; 0.17.0 failed on mipsel.
ZIG_VERSION=0.14.1
ZIGBUILD_VERSION=0.24.1
APT_PACKAGES="qemu-user-static file busybox binutils-multiarch python3-venv"

REPO=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$REPO/.tools"
mkdir -p "$TOOLS/bin"
# rustup picks the toolchain from the repo (rust-toolchain.toml, if any).
cd "$REPO"

say() { printf 'install-tools: %s\n' "$*"; }
die() { printf 'install-tools: FAILED: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------
missing=""
for p in $APT_PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
if [ -n "$missing" ]; then
	command -v apt-get >/dev/null || die "apt-get not found; install by hand:$missing"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install:$missing"
	say "apt-get install$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed (network to the Debian mirror?)"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null \
		|| die "apt-get install$missing failed"
else
	say "Debian packages present: $APT_PACKAGES"
fi
for q in qemu-mipsel-static qemu-mips-static qemu-arm-static qemu-aarch64-static; do
	command -v "$q" >/dev/null || die "$q missing after installing qemu-user-static"
done

# --- rust-src for -Zbuild-std ---------------------------------------------
command -v rustup >/dev/null || die "rustup not found: install Rust with rustup first"
toolchain=$(rustup show active-toolchain | sed 's/ .*//')
if rustup component list --toolchain "$toolchain" --installed | grep -q '^rust-src'; then
	say "rust-src present for $toolchain"
else
	say "rustup component add rust-src ($toolchain)"
	rustup component add rust-src --toolchain "$toolchain" \
		|| die "rustup component add rust-src failed for $toolchain"
fi

# --- zig from PyPI --------------------------------------------------------
zig_ok() { [ -x "$TOOLS/bin/zig" ] && [ "$("$TOOLS/bin/zig" version 2>/dev/null)" = "$ZIG_VERSION" ]; }
if zig_ok; then
	say "zig $ZIG_VERSION present"
else
	say "pip install ziglang==$ZIG_VERSION into .tools/venv"
	command -v python3 >/dev/null || die "python3 not found (apt-get install python3)"
	[ -x "$TOOLS/venv/bin/python" ] || python3 -m venv "$TOOLS/venv" \
		|| die "python3 -m venv failed (is python3-venv installed?)"
	"$TOOLS/venv/bin/python" -m pip install -q --disable-pip-version-check \
		"ziglang==$ZIG_VERSION" || die "pip install ziglang==$ZIG_VERSION failed (network to PyPI? a stale venv: rm -rf .tools/venv and retry)"
	zigbin=$("$TOOLS/venv/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
	[ -x "$zigbin" ] || die "ziglang wheel has no zig binary at $zigbin"
	# A wrapper, not a symlink: zig finds its lib/ next to its real path.
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$zigbin" >"$TOOLS/bin/zig"
	chmod 755 "$TOOLS/bin/zig"
	zig_ok || die "zig at $zigbin does not report version $ZIG_VERSION"
fi

# --- cargo-zigbuild from crates.io ----------------------------------------
zb_ok() { [ -x "$TOOLS/bin/cargo-zigbuild" ] && "$TOOLS/bin/cargo-zigbuild" --version 2>/dev/null | grep -q " $ZIGBUILD_VERSION\$"; }
if zb_ok; then
	say "cargo-zigbuild $ZIGBUILD_VERSION present"
else
	say "cargo install cargo-zigbuild $ZIGBUILD_VERSION (a few minutes, once)"
	cargo install --locked --quiet --version "$ZIGBUILD_VERSION" --root "$TOOLS" \
		--target-dir "$TOOLS/cargo-install-target" cargo-zigbuild \
		|| die "cargo install cargo-zigbuild $ZIGBUILD_VERSION failed"
	rm -rf "$TOOLS/cargo-install-target"
	zb_ok || die "cargo-zigbuild does not report version $ZIGBUILD_VERSION"
fi

say "ready: zig $ZIG_VERSION, cargo-zigbuild $ZIGBUILD_VERSION, $(qemu-mipsel-static --version | head -1)"
