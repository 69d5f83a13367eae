# tests/system/lib/common.sh — shared ground for the system-test harness.
# Sourced (bash or POSIX sh), never run. Offers:
#
#   SYS_REPO         the chperms checkout (absolute)
#   SYS_CACHE        target/system: build cache, downloaded .debs, scratch roots
#   SYS_VENDOR       upstream sources: $CHPERMS_VENDOR, else <repo>/../shared/vendor
#   sys_say MSG      "<script>: MSG" on stdout;  sys_die MSG: on stderr, exit 1
#   sys_need_vendor  returns 1 after ONE line naming the missing directory
#                    (the caller prints SKIPPED and exits 0: see "Skipping" below)
#   sys_vendor_tarball NAME   path of NAME-<commit>.tar.gz in SYS_VENDOR (exactly one)
#   sys_apt_install PKG...    install Debian packages not yet installed (as root,
#                             waiting for other engineers' apt locks)
#   sys_deb_extract PKG       `apt-get download` PKG once into SYS_CACHE/debs and
#                             unpack it there (no install): prints the unpacked dir
#   sys_wait_until SECS CMD...  poll CMD every 0.2 s; 0 when it succeeded in time
#
# Test accounting (one suite per process):
#   t_ok NAME / t_bad NAME [DETAIL]   count and print "ok   NAME" / "FAIL NAME"
#   t_check NAME CMD...               t_ok when CMD exits 0, else t_bad with its output
#   t_eq NAME EXPECTED ACTUAL         t_ok when equal, else t_bad showing both
#   t_finish                          prints "N passed, N failed", returns non-zero on a failure
#
# Skipping: a suite whose sources are missing prints one line and exits 0,
# unless CHPERMS_VENDOR was set (then the directory was promised: it fails).

# The repo: from this file's path under bash; under a POSIX sh (which cannot
# tell a sourced file its own path) by walking up from the calling script.
if [ -z "${SYS_REPO:-}" ]; then
	if [ -n "${BASH_SOURCE:-}" ]; then
		SYS_REPO=$(cd "$(dirname "$BASH_SOURCE")/../../.." && pwd)
	else
		SYS_REPO=$(cd "$(dirname "$0")" && pwd)
		while [ "$SYS_REPO" != / ] && [ ! -f "$SYS_REPO/tests/system/lib/common.sh" ]; do
			SYS_REPO=$(dirname "$SYS_REPO")
		done
	fi
fi
SYS_LIB=$SYS_REPO/tests/system/lib
SYS_CACHE=${SYS_CACHE:-$SYS_REPO/target/system}
SYS_VENDOR=${CHPERMS_VENDOR:-$SYS_REPO/../shared/vendor}
SYS_ME=${SYS_ME:-${0##*/}}

sys_say() { printf '%s: %s\n' "$SYS_ME" "$*"; }
sys_die() { printf '%s: FAILED: %s\n' "$SYS_ME" "$*" >&2; exit 1; }

sys_need_vendor() {
	if [ -d "$SYS_VENDOR" ]; then
		SYS_VENDOR=$(cd "$SYS_VENDOR" && pwd)
		return 0
	fi
	if [ -n "${CHPERMS_VENDOR:-}" ]; then
		sys_die "CHPERMS_VENDOR=$CHPERMS_VENDOR is not a directory (the upstream sources for system tests)"
	fi
	sys_say "SKIPPED: no upstream sources at $SYS_VENDOR (set CHPERMS_VENDOR=DIR to run this suite)"
	return 1
}

sys_vendor_tarball() {
	set -- "$SYS_VENDOR/$1"-*.tar.gz
	[ $# -eq 1 ] && [ -f "$1" ] || sys_die "expected exactly one $SYS_VENDOR/${1##*/} tarball, found: $*"
	printf '%s\n' "$1"
}

sys_apt_install() {
	_missing=""
	for _p in "$@"; do
		case $(dpkg-query -W -f='${Status}' "$_p" 2>/dev/null) in
		*"install ok installed"*) ;;
		*) _missing="$_missing $_p" ;;
		esac
	done
	[ -z "$_missing" ] && return 0
	[ "$(id -u)" = 0 ] || sys_die "need root to apt-get install:$_missing"
	sys_say "apt-get install$_missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
		--no-install-recommends $_missing >/dev/null 2>&1 || {
		apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
			--no-install-recommends $_missing >/dev/null
	} || sys_die "apt-get install$_missing failed"
}

sys_deb_extract() {
	_dir="$SYS_CACHE/debs/$1"
	if [ ! -f "$_dir/.unpacked" ]; then
		rm -rf "$_dir" && mkdir -p "$_dir"
		(cd "$_dir" && apt-get download -q "$1" >/dev/null 2>&1) || {
			apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null 2>&1
			(cd "$_dir" && apt-get download -q "$1" >/dev/null 2>&1)
		} || sys_die "apt-get download $1 failed"
		dpkg-deb -x "$_dir"/*.deb "$_dir/root" || sys_die "dpkg-deb -x $1 failed"
		touch "$_dir/.unpacked"
	fi
	printf '%s\n' "$_dir/root"
}

sys_wait_until() {
	_secs=$1; shift
	_tries=$((_secs * 5))
	while [ "$_tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_tries=$((_tries - 1))
	done
	"$@" >/dev/null 2>&1
}

T_PASS=0
T_FAIL=0
t_ok() { T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$1"; }
t_bad() {
	T_FAIL=$((T_FAIL + 1))
	printf 'FAIL %s\n' "$1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/     | /'
}
t_check() {
	_name=$1; shift
	if _out=$("$@" 2>&1); then t_ok "$_name"; else t_bad "$_name" "$_out"; fi
}
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_bad "$1" "expected: $2
got:      $3"; fi
}
t_finish() {
	printf '%s: %d passed, %d failed\n' "$SYS_ME" "$T_PASS" "$T_FAIL"
	[ "$T_FAIL" -eq 0 ]
}
