#!/bin/sh
# cross/mips-check.sh — quick byte-order check of the big-endian mips binary.
#
# Every other target we test is little-endian; a struct stat field read with
# the wrong width or byte order shows up only here. Checks, under
# qemu-mips-static:
#   1. `chperms stat -c FORMAT` on a file, a setgid directory and a symlink
#      equals GNU stat's output for the same format on the host.
#   2. `chperms apply --policy P` on a small tree leaves the same exit status
#      and the same resulting owners/modes as the native x86_64 binary, and
#      the policy really holds afterwards.
# Prints one line per check and exits non-zero if any failed.
set -eu
umask 022
. "$(dirname "$0")/env.sh"

T=mips-unknown-linux-musl
N=x86_64-unknown-linux-musl
command -v qemu-mips-static >/dev/null || die "qemu-mips-static not found: run 'make deps-cross'"
sh "$REPO/cross/build.sh" "$T" "$N" >/dev/null
mips="qemu-mips-static $DIST/$T/chperms"
native="$DIST/$N/chperms"

work=$(mktemp -d /tmp/chperms-mips.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); printf '[%s] ok: %s\n' "$T" "$1"; }
bad() { fail=$((fail + 1)); printf '[%s] FAIL: %s\n' "$T" "$1"; }

# --- 1. stat against GNU stat -----------------------------------------------
mkdir -p "$work/s/dir"
head -c 12345 /dev/zero >"$work/s/file"
chmod 0640 "$work/s/file"
chmod 02750 "$work/s/dir"
ln -s file "$work/s/link"
touch -d '2001-02-03 04:05:06' "$work/s/file"
fmt='%a %A %s %i %h %u %g %f %F %Y %n'
for f in file dir link; do
	want=$(cd "$work/s" && stat -c "$fmt" "$f")
	got=$(cd "$work/s" && $mips stat -c "$fmt" "$f" 2>&1) || true
	if [ "$got" = "$want" ]; then
		ok "stat -c '$fmt' $f"
	else
		bad "stat -c '$fmt' $f: got '$got', GNU stat says '$want'"
	fi
done

# --- 2. apply: mips and native agree, and the policy holds ----------------
make_tree() {
	mkdir -p "$1/base/keep"
	printf 'x\n' >"$1/base/keep/f"
	chmod 0777 "$1/base/keep"
	chmod 0666 "$1/base/keep/f"
	cat >"$1/policy.json" <<EOF
{"base": "$1/base",
 "rules": [
  {"path": "new", "type": "dir", "owner": "root", "group": "root", "mode": "0750", "create": true},
  {"path": "keep", "type": "dir", "owner": "root", "group": "root", "mode": "0755"},
  {"path": "keep/*", "type": "file", "owner": "root", "group": "root", "mode": "0640"}
 ]}
EOF
}
snapshot() { (cd "$1/base" && find . | LC_ALL=C sort | while read -r p; do stat -c '%a %u %g %F %n' "$p"; done); }

make_tree "$work/n"
make_tree "$work/m"
set +e
"$native" apply --policy "$work/n/policy.json" >"$work/n.out" 2>&1
nrc=$?
$mips apply --policy "$work/m/policy.json" >"$work/m.out" 2>&1
mrc=$?
set -e
if [ "$mrc" = "$nrc" ] && [ "$(snapshot "$work/m")" = "$(snapshot "$work/n")" ]; then
	ok "apply --policy: same exit status ($mrc) and resulting tree as x86_64"
else
	bad "apply --policy: mips exit $mrc, x86_64 exit $nrc; trees:
$(snapshot "$work/m" | sed 's/^/  mips:   /')
$(snapshot "$work/n" | sed 's/^/  x86_64: /')"
fi
want_tree="755 0 0 directory .
755 0 0 directory ./keep
640 0 0 regular file ./keep/f
750 0 0 directory ./new"
if [ "$mrc" = 0 ] && [ "$(snapshot "$work/m")" = "$want_tree" ]; then
	ok "apply --policy: policy holds afterwards"
else
	bad "apply --policy did not bring the tree into policy (exit $mrc): $(head -c 300 "$work/m.out")"
fi

printf '[%s] %d passed, %d failed\n' "$T" "$pass" "$fail"
[ "$fail" -eq 0 ]
