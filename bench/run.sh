#!/bin/sh
# bench/run.sh [100k|1m|find] — chperms against the floor and today's tools (issue 6).
#
#   100k (make bench): a vhost of ~100,000 entries; audit of a compliant tree
#        and repair of an all-wrong tree, chperms vs GNU find / the chown+find
#        pipeline / systemd-tmpfiles `Z`, alternating the commands, medians of
#        BENCH_RUNS runs; peak RSS (/usr/bin/time) and syscalls per entry
#        (strace -f -c). Writes its section of BENCHMARKS.md and prints it.
#   find (make bench, after 100k): chperms find vs GNU find vs BusyBox find
#        on the same ~100k vhost, five expressions (bench/find.sh, issue 13).
#   1m   (make bench-1m): audit only, ~1,000,000 entries, time and RSS of
#        chperms and the find floor (BENCH_RUNS_1M runs each, default 3).
#
# Then bench/monitor.sh measures the watcher on the same tree (its own
# section; BENCH_MONITOR=0 skips it).
#
# Environment: BENCH_BIN (the chperms binary to measure; default the static
# musl build in dist/ when present, else target/release/chperms), BENCH_RUNS
# (5), BENCH_DIRS / BENCH_FILES (2000 / 49; 20000 / 49 for 1m), BENCH_USER
# (chpv1, from tests/setup-users.sh), BENCH_TMP (/tmp), BENCH_OUT
# (BENCHMARKS.md). Needs root (chown), python3, GNU find, /usr/bin/time,
# strace; systemd-tmpfiles is used when installed.
#
# Ratios are what to read: the machine may be shared and noisy. Nothing here
# asserts a time; the goals are reported as met or not.
set -eu
MODE=${1:-100k}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
cd "$REPO"
[ "$(id -u)" = 0 ] || { echo "bench: run as root (chperms and chown change owners)" >&2; exit 1; }
for t in python3 find /usr/bin/time strace; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t missing (make deps installs it)" >&2; exit 1; }
done
MUSL=dist/x86_64-unknown-linux-musl/chperms
if [ -z "${BENCH_BIN:-}" ]; then
	if [ -x "$MUSL" ]; then BENCH_BIN=$MUSL; else BENCH_BIN=target/release/chperms; fi
fi
BIN=$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")
[ -x "$BIN" ] || { echo "bench: no binary at $BIN (make build)" >&2; exit 1; }
RUNS=${BENCH_RUNS:-5}
U=${BENCH_USER:-chpv1}
W=www-data
OUT=${BENCH_OUT:-BENCHMARKS.md}
TMPFILES=$(command -v systemd-tmpfiles 2>/dev/null || true)
if [ "$MODE" = 1m ]; then
	DIRS=${BENCH_DIRS:-20000}
	RUNS=${BENCH_RUNS_1M:-3}
else
	DIRS=${BENCH_DIRS:-2000}
fi
FILES=${BENCH_FILES:-49}

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/chperms-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
chmod 0755 "$WORK"
R=$WORK/root
VN=bench.example
V=$R/$VN
mkdir "$R"
say() { printf 'bench: %s\n' "$*" >&2; }

say "generating $DIRS dirs x $FILES files in $V"
python3 "$HERE/gentree.py" "$V" "$DIRS" "$FILES" >/dev/null
"$BIN" "$VN" --root "$R" --user "$U" --quiet >/dev/null
"$BIN" check "$VN" --root "$R" --user "$U" --quiet >/dev/null ||
	{ echo "bench: the tree is not compliant after chperms apply" >&2; exit 1; }
ENTRIES=$(find "$V" | wc -l)
say "$ENTRIES entries; binary $BIN"

# --- the commands ----------------------------------------------------------
c_check() { "$BIN" check "$VN" --root "$R" --user "$U" --quiet; }
c_find() { find "$V" \( -type d ! -perm 2750 \) -o \( -type f ! -perm 0640 \) -o ! -user "$U" -o ! -group "$W"; }
c_apply() { "$BIN" "$VN" --root "$R" --user "$U" --quiet; }
c_pipe() { chown -R "$U:$W" "$V" && find "$V" -type d -exec chmod 2750 {} + && find "$V" -type f -exec chmod 0640 {} +; }
TCONF=$WORK/tmpfiles.conf
T2=$WORK/tmpfiles-tree
printf 'Z %s 2750 %s %s - -\n' "$T2" "$U" "$W" >"$TCONF"
c_tmpfiles() { "$TMPFILES" --create "$TCONF"; }
# Not timed: back to all-wrong (root:root, dirs 0755, files 0644), then sync
# so that the timed command does not share the disk with the reset's
# writeback and journal commits (without it, repair times were 5x noisier).
reset_wrong() { chown -R root:root "$1" && chmod -R u=rwX,go=rX,g-s "$1" && sync; }

# t_us CMD... — wall time of one run in microseconds (output discarded).
t_us() {
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 || true
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# rss CMD... — peak RSS in KiB. Run directly, not under `sh -c`: the shell's
# own RSS would count (ru_maxrss survives exec).
rss() { /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || true; tail -1 "$WORK/rss"; }
# sysc CMD... — syscalls per entry (two decimals), from a full strace: the
# `strace -c` summary of strace < 6.5 leaves out syscalls it has no name for
# (fchmodat2 appears as syscall_0x1c4). sysc_top then lists the main ones.
sysc() {
	strace -f -qq -o "$WORK/strace" "$@" >/dev/null 2>&1 || true
	awk '!/resumed>/ && !/^[0-9]+ +(\+\+\+|---)/ {
		sub(/^[0-9]+ +/, ""); n = index($0, "("); if (n > 1) c[substr($0, 1, n - 1)]++
	} END {for (k in c) print k, c[k]}' "$WORK/strace" | sed 's/^syscall_0x1c4 /fchmodat2 /' >"$WORK/counts"
	awk -v n="$ENTRIES" '{t += $2} END {printf "%.2f", t/n}' "$WORK/counts"
}
sysc_top() {
	awk -v n="$ENTRIES" '{printf "%s %.2f\n", $1, $2/n}' "$WORK/counts" |
		sort -k2 -nr | awk '$2>=0.01 {printf "%s%s %s", sep, $1, $2; sep=", "}'
}
secs() { awk -v u="$1" 'BEGIN {printf "%.3f", u/1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b>0) printf "%.2f×", a/b; else print "-"}'; }
# The pipeline needs a shell for strace and time; the others run directly.
export U W V
S_PIPE='chown -R "$U:$W" "$V" && find "$V" -type d -exec chmod 2750 {} + && find "$V" -type f -exec chmod 0640 {} +'

machine() {
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	fs=$(findmnt -no FSTYPE -T "$WORK" 2>/dev/null || stat -f -c %T "$WORK")
	echo "Machine: $(nproc) CPUs ($cpu), Linux $(uname -r), $fs; $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Binary: \`${BENCH_BIN}\` ($(stat -c %s "$BIN") bytes$( [ "$BENCH_BIN" = "$MUSL" ] && echo ', static musl, opt-level z' || echo ', NOT the static musl build: RSS is not the shipped figure'))."
}

# replace_section NAME FILE — puts FILE between the NAME markers of $OUT.
replace_section() {
	b="<!-- bench:$1 -->"
	e="<!-- /bench:$1 -->"
	[ -f "$OUT" ] || printf '# chperms benchmarks\n\nGenerated by `make bench` (bench/run.sh); see the notes at the end.\n\n%s\n%s\n\n<!-- bench:1m -->\n<!-- /bench:1m -->\n' "<!-- bench:100k -->" "<!-- /bench:100k -->" >"$OUT"
	grep -qF "$b" "$OUT" || printf '\n%s\n%s\n' "$b" "$e" >>"$OUT"
	awk -v b="$b" -v e="$e" -v f="$2" '
		$0==b {print; while ((getline l < f) > 0) print l; skip=1; next}
		$0==e {skip=0}
		!skip {print}' "$OUT" >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
}

if [ "$MODE" = find ]; then
	. "$HERE/find.sh"
	exit 0
fi

if [ "$MODE" = 1m ]; then
	: >"$WORK/a.c"
	: >"$WORK/a.f"
	c_find >/dev/null 2>&1 || true # warm the cache once
	i=0
	while [ $i -lt "$RUNS" ]; do
		say "1m audit run $((i + 1))/$RUNS"
		t_us c_check >>"$WORK/a.c"
		t_us c_find >>"$WORK/a.f"
		i=$((i + 1))
	done
	mc=$(median "$WORK/a.c")
	mf=$(median "$WORK/a.f")
	rc=$(rss "$BIN" check "$VN" --root "$R" --user "$U" --quiet)
	rf=$(rss find "$V" \( -type d ! -perm 2750 \) -o \( -type f ! -perm 0640 \) -o ! -user "$U" -o ! -group "$W")
	sec=$WORK/section
	{
		echo "## Audit of a 1,000,000-entry tree (\`make bench-1m\`)"
		echo
		machine
		echo "Tree: $ENTRIES entries ($DIRS dirs × $FILES files under web/app/public); medians of $RUNS alternating runs."
		echo
		echo "| | chperms check | find floor |"
		echo "|---|---|---|"
		echo "| median time (s) | $(secs "$mc") | $(secs "$mf") |"
		echo "| chperms ÷ this | — | $(ratio "$mc" "$mf") |"
		echo "| µs per entry | $(awk -v t="$mc" -v n="$ENTRIES" 'BEGIN {printf "%.2f", t/n}') | $(awk -v t="$mf" -v n="$ENTRIES" 'BEGIN {printf "%.2f", t/n}') |"
		echo "| peak RSS (KiB) | $rc | $rf |"
		echo
		echo "Reproduce: \`make bench-1m\` (as root; \`sh tests/setup-users.sh\` once)."
	} >"$sec"
	replace_section 1m "$sec"
	cat "$sec"
	exit 0
fi

[ -n "$TMPFILES" ] && { cp -a "$V" "$T2"; c_tmpfiles >/dev/null 2>&1 || true; }

# --- audit of a compliant tree ---------------------------------------------
for f in a.c a.f a.t r.c r.p r.t; do : >"$WORK/$f"; done
c_find >/dev/null 2>&1 || true # warm the cache once
i=0
while [ $i -lt "$RUNS" ]; do
	say "audit run $((i + 1))/$RUNS"
	t_us c_check >>"$WORK/a.c"
	t_us c_find >>"$WORK/a.f"
	[ -n "$TMPFILES" ] && t_us c_tmpfiles >>"$WORK/a.t"
	i=$((i + 1))
done
a_rss_c=$(rss "$BIN" check "$VN" --root "$R" --user "$U" --quiet)
a_rss_f=$(rss find "$V" \( -type d ! -perm 2750 \) -o \( -type f ! -perm 0640 \) -o ! -user "$U" -o ! -group "$W")
a_sys_c=$(sysc "$BIN" check "$VN" --root "$R" --user "$U" --quiet)
a_top_c=$(sysc_top)
a_sys_f=$(sysc find "$V" \( -type d ! -perm 2750 \) -o \( -type f ! -perm 0640 \) -o ! -user "$U" -o ! -group "$W")
a_top_f=$(sysc_top)
if [ -n "$TMPFILES" ]; then
	a_rss_t=$(rss "$TMPFILES" --create "$TCONF")
	a_sys_t=$(sysc "$TMPFILES" --create "$TCONF")
fi

# --- repair of an all-wrong tree ---------------------------------------------
i=0
while [ $i -lt "$RUNS" ]; do
	say "repair run $((i + 1))/$RUNS"
	reset_wrong "$V"
	t_us c_apply >>"$WORK/r.c"
	reset_wrong "$V"
	t_us c_pipe >>"$WORK/r.p"
	if [ -n "$TMPFILES" ]; then
		reset_wrong "$T2"
		t_us c_tmpfiles >>"$WORK/r.t"
	fi
	i=$((i + 1))
done
reset_wrong "$V"
r_rss_c=$(rss "$BIN" "$VN" --root "$R" --user "$U" --quiet)
reset_wrong "$V"
r_rss_p=$(rss sh -c "$S_PIPE")
reset_wrong "$V"
r_sys_c=$(sysc "$BIN" "$VN" --root "$R" --user "$U" --quiet)
r_top_c=$(sysc_top)
reset_wrong "$V"
r_sys_p=$(sysc sh -c "$S_PIPE")
r_top_p=$(sysc_top)
if [ -n "$TMPFILES" ]; then
	reset_wrong "$T2"
	r_rss_t=$(rss "$TMPFILES" --create "$TCONF")
	reset_wrong "$T2"
	r_sys_t=$(sysc "$TMPFILES" --create "$TCONF")
fi

mac=$(median "$WORK/a.c")
maf=$(median "$WORK/a.f")
mrc=$(median "$WORK/r.c")
mrp=$(median "$WORK/r.p")
if [ -n "$TMPFILES" ]; then
	mat=$(median "$WORK/a.t")
	mrt=$(median "$WORK/r.t")
	T_HEAD=" systemd-tmpfiles \`Z\` |"
	T_SEP="---|"
else
	T_HEAD=""
	T_SEP=""
fi
tcol() { [ -n "$TMPFILES" ] && printf ' %s |' "$1" || true; }

sec=$WORK/section
{
	echo "## Audit and repair of a $ENTRIES-entry vhost (\`make bench\`)"
	echo
	machine
	echo "Tree: $ENTRIES entries ($DIRS dirs × $FILES empty files under web/app/public, plus the model's directories); medians of $RUNS runs, the commands alternating; warm page cache."
	echo
	echo "### Audit of a compliant tree"
	echo
	echo "| | chperms check | find floor |$T_HEAD"
	echo "|---|---|---|$T_SEP"
	echo "| median time (s) | $(secs "$mac") | $(secs "$maf") |$(tcol "$(secs "${mat:-0}")")"
	echo "| **chperms ÷ this** | — | **$(ratio "$mac" "$maf")** |$(tcol "$(ratio "$mac" "${mat:-0}")")"
	echo "| peak RSS (KiB) | $a_rss_c | $a_rss_f |$(tcol "${a_rss_t:-}")"
	echo "| syscalls per entry | $a_sys_c | $a_sys_f |$(tcol "${a_sys_t:-}")"
	echo
	echo "Syscalls per entry, chperms check: $a_top_c."
	echo "Find floor: $a_top_f."
	echo
	echo "### Repair of an all-wrong tree (root:root, dirs 0755, files 0644)"
	echo
	echo "| | chperms | chown -R + find -exec chmod |$T_HEAD"
	echo "|---|---|---|$T_SEP"
	echo "| median time (s) | $(secs "$mrc") | $(secs "$mrp") |$(tcol "$(secs "${mrt:-0}")")"
	echo "| **chperms ÷ this** | — | **$(ratio "$mrc" "$mrp")** |$(tcol "$(ratio "$mrc" "${mrt:-0}")")"
	echo "| peak RSS (KiB) | $r_rss_c | $r_rss_p |$(tcol "${r_rss_t:-}")"
	echo "| syscalls per entry | $r_sys_c | $r_sys_p |$(tcol "${r_sys_t:-}")"
	echo
	echo "Syscalls per entry, chperms: $r_top_c."
	echo "Pipeline: $r_top_p."
	echo
	echo "### Goals (issue 6)"
	echo
	awk -v a="$mac" -v f="$maf" -v r="$mrc" -v p="$mrp" -v rss="$a_rss_c" -v rr="$r_rss_c" 'BEGIN {
		printf "- audit ≤ 1.1× the find floor: %.2f× — %s\n", a/f, (a/f <= 1.1 ? "met" : "NOT met")
		printf "- repair ≤ 0.7× the pipeline: %.2f× — %s\n", r/p, (r/p <= 0.7 ? "met" : "NOT met")
		m = (rss > rr ? rss : rr)
		printf "- peak RSS ≤ 1024 KiB: %d KiB (audit), %d KiB (repair) — %s\n", rss, rr, (m <= 1024 ? "met" : "NOT met")
	}'
	echo
	echo "Reproduce: \`make bench\` (as root; \`sh tests/setup-users.sh\` once; \`BENCH_RUNS=9 make bench\` for more runs)."
} >"$sec"
replace_section 100k "$sec"
cat "$sec"

# --- the monitor (issue 12), on the same tree --------------------------------
[ "${BENCH_MONITOR:-1}" = 0 ] ||
	BENCH_BIN=$BENCH_BIN BENCH_ROOT=$R BENCH_VHOST=$VN BENCH_OUT=$OUT sh "$HERE/monitor.sh"
