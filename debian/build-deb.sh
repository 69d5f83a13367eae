#!/bin/sh
# debian/build-deb.sh BINARY [OUTDIR] — builds chperms_<version>_<arch>.deb
# with dpkg-deb (no debhelper, no cargo-deb): the binary, the systemd units,
# /etc/default/chperms (a conffile), the service helper, README.Debian and
# the license as /usr/share/doc/chperms/copyright. `make deb` runs it on
# target/release/chperms. Prints the path of the .deb.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
D="$REPO/debian"
bin=${1:?usage: build-deb.sh BINARY [OUTDIR]}
out=${2:-$REPO/dist}

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$REPO/Cargo.toml" | head -1)
arch=$(dpkg --print-architecture)
[ -x "$bin" ] || { echo "build-deb: $bin: not an executable (run make build)" >&2; exit 1; }

# A dynamically linked binary needs the glibc it was linked against (the
# highest GLIBC_ symbol version it uses); a static one needs nothing.
depends=""
if objdump -p "$bin" 2>/dev/null | grep -q 'NEEDED.*libc\.so'; then
	glibc=$(objdump -T "$bin" | sed -n 's/.*GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -t. -k1,1n -k2,2n | tail -1)
	depends="libc6 (>= $glibc)"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/chperms-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
root="$stage/chperms_${version}_$arch"
install -d "$root/DEBIAN"
install -Dm755 "$bin" "$root/usr/sbin/chperms"
install -Dm755 "$D/chperms-service" "$root/usr/libexec/chperms/chperms-service"
for u in chperms.service chperms-check.service chperms-check.timer; do
	install -Dm644 "$D/$u" "$root/lib/systemd/system/$u"
done
install -Dm644 "$D/chperms.default" "$root/etc/default/chperms"
install -d -m755 "$root/etc/chperms"
install -Dm644 "$D/README.Debian" "$root/usr/share/doc/chperms/README.Debian"
{
	printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n'
	printf 'Upstream-Name: chperms\nSource: https://crates.io/crates/chperms\n\n'
	printf 'Files: *\nCopyright: 2026 the chperms authors\nLicense: MIT\n'
	sed 's/^$/./; s/^/ /' "$REPO/LICENSE"
} >"$root/usr/share/doc/chperms/copyright"
chmod 644 "$root/usr/share/doc/chperms/copyright"

printf '/etc/default/chperms\n' >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
{
	printf 'Package: chperms\nVersion: %s\nArchitecture: %s\n' "$version" "$arch"
	printf 'Maintainer: chperms maintainers <maintainers@users.noreply.r-seed-0f6a92cd.example>\n'
	printf 'Installed-Size: %s\nSection: admin\nPriority: optional\n' "$size"
	[ -n "$depends" ] && printf 'Depends: %s\n' "$depends"
	printf 'Homepage: https://crates.io/crates/chperms\n'
	printf 'Description: declare, apply, audit and watch file ownership and modes\n'
	printf ' chperms brings directory trees (web vhosts under /srv, or any tree a JSON\n'
	printf ' policy names) to the owners and modes they should have, safely as root over\n'
	printf ' trees untrusted users can write to. chperms.service watches them (inotify)\n'
	printf ' and chperms-check.timer audits them every 5 minutes; neither is enabled\n'
	printf ' on install. Settings: /etc/default/chperms.\n'
} >"$root/DEBIAN/control"

# Maintainer scripts: tell a running systemd about the units, restart a
# running watcher on upgrade, stop everything on removal. The conffile stays
# on `dpkg -r` (dpkg's rule) and goes on `dpkg -P`.
cat >"$root/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	[ -n "$2" ] && systemctl try-restart chperms.service || true
fi
exit 0
SH
cat >"$root/DEBIAN/prerm" <<'SH'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl stop chperms.service chperms-check.timer chperms-check.service || true
fi
exit 0
SH
cat >"$root/DEBIAN/postrm" <<'SH'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
	# What `systemctl disable` would remove; the unit files are gone by now.
	rm -f /etc/systemd/system/multi-user.target.wants/chperms.service \
		/etc/systemd/system/timers.target.wants/chperms-check.timer
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
SH
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/chperms_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
