#!/bin/sh
# tests/pkg/test-ipk.sh — unpack every dist/chperms_*.ipk and check it.
#
# Checks, per arch: the outer archive (gzip'd tar of exactly debian-binary,
# data.tar.gz, control.tar.gz), debian-binary = 2.0, control fields and
# their values, conffiles, postinst/prerm using default_postinst/prerm, every
# script parsing with BusyBox `sh -n`, the data files, their modes and 0:0
# ownership, fixed mtimes, the binary's ELF machine/byte order (file) and
# static linking, and that a rebuild is byte-identical.
# Also runs the procd init script against stubbed procd/UCI functions to
# check the `chperms watch` command lines it builds.
#
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${CROSS_DIST:-$REPO/dist}
BUSYBOX=${BUSYBOX:-busybox}

pass=0 fail=0
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; }
check() { # check NAME COMMAND...
	name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}
finish() {
	printf '%d passed, %d failed\n' "$pass" "$fail"
	[ "$fail" -eq 0 ]
	exit $?
}

command -v "$BUSYBOX" >/dev/null || { bad "busybox found (apt-get install busybox, or make deps-cross)"; finish; }
command -v file >/dev/null || { bad "file(1) found"; finish; }

cargo_version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$REPO/Cargo.toml" | head -1)
release=$(sed -n 's/^PKG_RELEASE:=//p' "$REPO/openwrt-package/Makefile")
version="$cargo_version-r$release"
feed_version=$(sed -n 's/^PKG_VERSION:=//p' "$REPO/openwrt-package/Makefile")
check "feed Makefile PKG_VERSION ($feed_version) = Cargo.toml version ($cargo_version)" \
	test "$feed_version" = "$cargo_version"

# arch:expected `file` pattern (machine and byte order)
EXPECT="mipsel_24kc:ELF 32-bit LSB .*MIPS
mips_24kc:ELF 32-bit MSB .*MIPS
arm_cortex-a7_neon-vfpv4:ELF 32-bit LSB .*ARM, EABI5
aarch64_cortex-a53:ELF 64-bit LSB .*ARM aarch64
x86_64:ELF 64-bit LSB .*x86-64"

work=$(mktemp -d "${TMPDIR:-/tmp}/chperms-ipk-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# field FILE NAME: the value of control field NAME (first line only)
field() { sed -n "s/^$2: //p" "$1" | head -1; }

echo "$EXPECT" | {
while IFS=: read -r arch pattern; do
	ipk="$DIST/chperms_${version}_${arch}.ipk"
	t="[$arch]"
	if [ ! -f "$ipk" ]; then
		bad "$t $ipk exists (run make ipk)"
		continue
	fi
	d="$work/$arch"
	mkdir -p "$d/outer" "$d/control" "$d/data"
	check "$t outer archive is gzip" gzip -t "$ipk"
	members=$(tar -tzf "$ipk" 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
	check "$t outer members are ./control.tar.gz ./data.tar.gz ./debian-binary (got: $members)" \
		test "$members" = "./control.tar.gz ./data.tar.gz ./debian-binary "
	tar -xzf "$ipk" -C "$d/outer" 2>/dev/null
	check "$t debian-binary is 2.0" test "$(cat "$d/outer/debian-binary" 2>/dev/null)" = "2.0"
	tar -xzf "$d/outer/control.tar.gz" -C "$d/control" 2>/dev/null
	tar -xzf "$d/outer/data.tar.gz" -C "$d/data" 2>/dev/null
	c="$d/control/control"
	check "$t control.tar.gz has control conffiles postinst prerm postrm" \
		test -f "$c" -a -f "$d/control/conffiles" -a -x "$d/control/postinst" -a -x "$d/control/prerm" -a -x "$d/control/postrm"

	check "$t Package: chperms" test "$(field "$c" Package)" = chperms
	check "$t Version: $version" test "$(field "$c" Version)" = "$version"
	check "$t Architecture: $arch" test "$(field "$c" Architecture)" = "$arch"
	for f in Depends Source SourceName License Section SourceDateEpoch Installed-Size Description; do
		check "$t field $f present" test -n "$(field "$c" "$f")"
	done
	order=$(sed -n 's/^\([A-Za-z-]*\): .*/\1/p' "$c" | tr '\n' ' ')
	check "$t fields in OpenWrt's order (got: $order)" \
		test "$order" = "Package Version Depends Alternatives Source SourceName License Section SourceDateEpoch Architecture Installed-Size Description "
	check "$t SourceName: chperms" test "$(field "$c" SourceName)" = chperms
	alt=$(field "$c" Alternatives)
	check "$t Alternatives link /bin/stat and /usr/bin/find to /usr/sbin/chperms at a low priority" \
		sh -c 'case "$1" in *"100:/bin/stat:/usr/sbin/chperms"*"100:/usr/bin/find:/usr/sbin/chperms"*) exit 0;; esac; exit 1' _ "$alt"
	size=$(du -sb "$d/data" | cut -f1)
	check "$t Installed-Size ($(field "$c" Installed-Size)) = unpacked data size ($size)" \
		test "$(field "$c" Installed-Size)" = "$size"
	check "$t conffiles is /etc/config/chperms" test "$(cat "$d/control/conffiles")" = "/etc/config/chperms"
	check "$t postinst calls default_postinst" grep -q '^default_postinst \$0 \$@$' "$d/control/postinst"
	check "$t prerm calls default_prerm" grep -q '^default_prerm \$0 \$@$' "$d/control/prerm"
	for s in postinst prerm postrm; do
		check "$t $s parses with busybox sh -n" "$BUSYBOX" sh -n "$d/control/$s"
	done

	b="$d/data/usr/sbin/chperms"
	check "$t /usr/sbin/chperms is an executable file" test -f "$b" -a -x "$b"
	desc=$(file -b "$b" 2>/dev/null)
	check "$t binary is '$pattern' (file: $desc)" sh -c 'printf "%s" "$1" | grep -q "$2"' _ "$desc" "$pattern"
	check "$t binary is static and stripped" \
		sh -c 'case "$1" in *static*", stripped"*) exit 0;; esac; exit 1' _ "$desc"
	check "$t /etc/init.d/chperms is executable and parses with busybox sh -n" \
		sh -c 'test -x "$1" && "$2" sh -n "$1"' _ "$d/data/etc/init.d/chperms" "$BUSYBOX"
	check "$t /etc/init.d/chperms is a procd script" grep -q '^USE_PROCD=1' "$d/data/etc/init.d/chperms"
	check "$t /etc/config/chperms has config chperms 'main'" grep -q "^config chperms 'main'" "$d/data/etc/config/chperms"
	listing=$(tar -tvzf "$d/outer/data.tar.gz" 2>/dev/null)
	check "$t every data entry is owned 0/0" sh -c '! printf "%s\n" "$1" | awk "{print \$2}" | grep -qv "^0/0$"' _ "$listing"
	check "$t data paths are exactly the expected set" test "$(printf '%s\n' "$listing" | awk '{print $6}' | LC_ALL=C sort | tr '\n' ' ')" \
		= "./ ./etc/ ./etc/config/ ./etc/config/chperms ./etc/init.d/ ./etc/init.d/chperms ./usr/ ./usr/sbin/ ./usr/sbin/chperms ./usr/share/ ./usr/share/licenses/ ./usr/share/licenses/chperms/ ./usr/share/licenses/chperms/LICENSE "
	check "$t modes: binary and init 0755, config and LICENSE 0644" sh -c '
		printf "%s\n" "$1" | grep -q "^-rwxr-xr-x .* ./usr/sbin/chperms$" &&
		printf "%s\n" "$1" | grep -q "^-rwxr-xr-x .* ./etc/init.d/chperms$" &&
		printf "%s\n" "$1" | grep -q "^-rw-r--r-- .* ./etc/config/chperms$" &&
		printf "%s\n" "$1" | grep -q "^-rw-r--r-- .* ./usr/share/licenses/chperms/LICENSE$"' _ "$listing"
	epoch=$(field "$c" SourceDateEpoch)
	mt=$(tar --full-time -tvzf "$d/outer/data.tar.gz" ./usr/sbin/chperms 2>/dev/null | awk '{print $4" "$5}')
	check "$t mtimes are SourceDateEpoch" test "$(TZ=UTC0 date -d "@$epoch" '+%Y-%m-%d %H:%M:%S' 2>/dev/null)" = "$(TZ=UTC0 date -d "$mt UTC" '+%Y-%m-%d %H:%M:%S' 2>/dev/null)"
done

# Determinism: a rebuild into a scratch dist gives identical bytes.
if [ -z "${IPK_SKIP_REBUILD:-}" ]; then
	mkdir -p "$work/rebuild"
	for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl mips-unknown-linux-musl; do
		mkdir -p "$work/rebuild/$t" && cp "$DIST/$t/chperms" "$work/rebuild/$t/" 2>/dev/null
	done
	if CROSS_DIST="$work/rebuild" sh "$REPO/cross/ipk.sh" >/dev/null 2>&1; then
		for f in "$work"/rebuild/*.ipk; do
			check "rebuild of ${f##*/} is byte-identical" cmp "$f" "$DIST/${f##*/}"
		done
	else
		bad "rebuild with cross/ipk.sh into a scratch dist"
	fi
fi

# procd init: run start_service with stubbed rc.common/procd/UCI functions and
# compare the instances it opens (the real procd, ubus and uci run it in
# tests/system/openwrt/). chperms itself is a stub that accepts every
# configuration but one naming /missing. Each case: UCI values, expected output.
init="$REPO/openwrt-package/files/chperms.init"
run_init() { # run_init 'UCI ASSIGNMENTS' -> instances, one per line
	"$BUSYBOX" sh -c '
		cfg=$1; init=$2
		config_load() { :; }
		config_get() { eval "v=\${uci_$3:-}"; [ -n "$v" ] || v=${4:-}; eval "$1=\$v"; }
		config_get_bool() { config_get "$@"; eval "case \$$1 in 1|on|true|yes|enabled) $1=1;; *) $1=0;; esac"; }
		config_list_foreach() { eval "l=\${uci_$2:-}"; for x in $l; do "$3" "$x"; done; }
		procd_open_instance() { line="[$1]"; }
		procd_set_param() { case $1 in command) shift; line="$line $*";; stdout|stderr) line="$line ($1)";; esac; }
		procd_append_param() { shift; line="$line $*"; }
		procd_close_instance() { echo "$line"; }
		logger() { echo "logger $*"; }
		chperms() { case "$*" in *--check-config*/missing*) echo "chperms watch: --root /missing: No such file or directory" >&2; return 1;; esac; }
		eval "$cfg"
		. "$init"
		PROG=chperms
		start_service
		echo "rc=$?"
	' _ "$1" "$init" 2>&1
}
t1=$(run_init "uci_enabled=0 uci_all=1")
check "init: disabled -> no instance, a hint (got: $t1)" sh -c 'case "$1" in *"enabled is '"'"'0'"'"'"*"rc=0") exit 0;; esac; exit 1' _ "$t1"
t2=$(run_init "uci_enabled=1 uci_all=1 uci_root=/srv uci_interval=300 uci_fix=1 uci_syslog=1")
check "init: all+fix -> chperms watch --all --fix --syslog, nothing captured (got: $t2)" test "$t2" = "[vhosts] chperms watch --all --root /srv --interval 300 --fix --syslog
rc=0"
t3=$(run_init "uci_enabled=1 uci_all=0 uci_vhost='a.org b.org' uci_policy=$init uci_alert_cmd='logger -t x' uci_syslog=0 uci_interval=60")
check "init: vhosts + policy, syslog off -> two instances, output captured (got: $t3)" test "$t3" = "[vhosts] chperms watch a.org b.org --root /srv --interval 60 --alert-cmd logger -t x (stdout) (stderr)
[policy1] chperms watch --policy $init --root /srv --interval 60 --alert-cmd logger -t x (stdout) (stderr)
rc=0"
t4=$(run_init "uci_enabled=1 uci_all=0")
check "init: enabled with nothing to watch -> error (got: $t4)" sh -c 'case "$1" in *"nothing to watch"*"rc=1") exit 0;; esac; exit 1' _ "$t4"
t5=$(run_init "uci_enabled=1 uci_all=1 uci_root=/missing")
check "init: a configuration chperms refuses -> no instance, said on stderr and to logger (got: $t5)" sh -c '
	case "$1" in "[vhosts]"*) exit 1;; esac
	case "$1" in *"chperms: vhosts watcher not started"*"/missing: No such file"*"logger -t chperms -p daemon.err"*"/missing"*"rc=1") exit 0;; esac; exit 1' _ "$t5"
check "openwrt config parses with busybox sh -n (UCI syntax is shell-like)" "$BUSYBOX" sh -n "$REPO/openwrt-package/files/chperms.config"

finish
}
