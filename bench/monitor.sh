#!/bin/sh
# bench/monitor.sh — the monitor's part of `make bench` (issue 12): chperms
# watch against what operators run today for the same job, side by side in
# one run, on the same ~100,000-entry vhost:
#   - chperms watch VHOST --fix (incremental repair);
#   - inotifywait -m -r (Debian's inotify-tools) feeding a chown/chmod loop;
#   - the seed's cron script (seeds/000: a permission check every 5 minutes
#     that corrects what is wrong), bench/seed_cron.sh.
# Measured: CPU seconds per 1,000 single-file events (each file created as
# root, out of policy, and waited for until repaired: bench/monitor_events.py),
# event-to-repair latency (median, p99), and the watcher's anonymous memory
# (`Anonymous:` of /proc/PID/smaps_rollup) on the 100k tree and on a
# ~1,000,000-entry tree. A report, not a test: nothing here fails on a figure.
#
# Run by bench/run.sh 100k (make bench) on its tree, or alone:
#   sh bench/monitor.sh            (makes its own 100k tree)
# Environment: BENCH_BIN, BENCH_USER (chpv1), BENCH_TMP (/tmp), BENCH_OUT
# (BENCHMARKS.md), BENCH_EVENTS (1000), BENCH_EVENT_GAP (0.01 s between
# events), BENCH_MON_1M_DIRS (20000 directories of 49 files for the 1M tree;
# 0 skips it), BENCH_ROOT and BENCH_VHOST (an existing tree, from run.sh).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
cd "$REPO"
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
MUSL=dist/x86_64-unknown-linux-musl/chperms
if [ -z "${BENCH_BIN:-}" ]; then
	if [ -x "$MUSL" ]; then BENCH_BIN=$MUSL; else BENCH_BIN=target/release/chperms; fi
fi
BIN=$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")
[ -x "$BIN" ] || { echo "bench: no binary at $BIN (make build)" >&2; exit 1; }
if ! command -v inotifywait >/dev/null 2>&1; then
	echo "bench: installing inotify-tools (inotifywait, the comparator)" >&2
	apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends inotify-tools >/dev/null ||
		{ apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
			apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends inotify-tools >/dev/null; }
fi
for t in python3 inotifywait find /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t missing" >&2; exit 1; }
done
U=${BENCH_USER:-chpv1}
W=www-data
UID_U=$(id -u "$U")
OUT=${BENCH_OUT:-BENCHMARKS.md}
EVENTS=${BENCH_EVENTS:-1000}
GAP=${BENCH_EVENT_GAP:-0.01}
DIRS_1M=${BENCH_MON_1M_DIRS:-20000}
HZ=$(getconf CLK_TCK)
say() { printf 'bench: %s\n' "$*" >&2; }

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/chperms-monbench.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
chmod 0755 "$WORK"
if [ -n "${BENCH_ROOT:-}" ]; then
	R=$BENCH_ROOT
	VN=$BENCH_VHOST
else
	R=$WORK/root
	VN=bench.example
	mkdir "$R"
	say "generating a 2000 x 49 vhost"
	python3 "$HERE/gentree.py" "$R/$VN" 2000 49 >/dev/null
fi
V=$R/$VN
D=$V/web/app/public/a001/b01
"$BIN" "$VN" --root "$R" --user "$U" --quiet >/dev/null || true
ENTRIES=$(find "$V" | wc -l)

# ticks PID [children] — CPU clock ticks used by PID (and its waited-for
# children with a second argument).
ticks() {
	awk -v c="${2:-}" '{print $14 + $15 + (c != "" ? $16 + $17 : 0)}' "/proc/$1/stat" 2>/dev/null || echo 0
}
anon() { awk '/^Anonymous:/ {print $2}' "/proc/$1/smaps_rollup"; }
# settle PID... — waits until the processes' CPU time stops growing.
settle() {
	last=-1
	i=0
	while [ $i -lt 120 ]; do
		now=0
		for p in "$@"; do now=$((now + $(ticks "$p" c))); done
		[ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.5
		i=$((i + 1))
	done
}
per1000() { awk -v t="$1" -v hz="$HZ" -v n="$EVENTS" 'BEGIN {printf "%.3f", t / hz * 1000 / n}'; }
# runtime PID — nanoseconds PID has run (/proc/PID/schedstat: exact, where
# the tick counts of /proc/PID/stat are 10 ms samples).
runtime() { awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
ns_per1000() { awk -v t="$1" -v n="$EVENTS" 'BEGIN {printf "%.3f", t / 1e9 * 1000 / n}'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
events() { python3 "$HERE/monitor_events.py" "$D" "$EVENTS" "$GAP" "$UID_U" 0640 30; }
clear_events() { rm -f "$D"/ev*.php; }
# children PID — the direct children of PID.
children() { cat /proc/"$1"/task/*/children 2>/dev/null || true; }

# --- chperms watch ----------------------------------------------------------
start_chperms() { # VHOST ROOT
	"$BIN" watch "$1" --root "$2" --user "$U" --fix --interval 600 --quiet >/dev/null 2>"$WORK/watch.err" &
	CP=$!
	PIDS="$PIDS $CP"
	sleep 1
	settle "$CP"
}
say "chperms watch on $ENTRIES entries: $EVENTS single-file events"
start_chperms "$VN" "$R"
c_anon0=$(anon "$CP")
t0=$(runtime "$CP")
c_ev=$(events)
settle "$CP"
c_cpu=$(ns_per1000 $(($(runtime "$CP") - t0)))
c_anon=$(anon "$CP")
[ "$c_anon0" -gt "$c_anon" ] && c_anon=$c_anon0
kill "$CP"
wait "$CP" 2>/dev/null || true
clear_events

# --- inotifywait -m -r + chown/chmod ---------------------------------------
# What an operator writes today: every new file or directory gets the owner
# and the mode. Only creates and moves are watched: with attrib the loop
# would wake on its own chown/chmod forever.
start_inotifywait() { # TREE
	export U W
	: >"$WORK/iw.err"
	sh -c 'inotifywait -m -r -e create -e moved_to --format "%w%f" "$1" 2>"$2" |
		while IFS= read -r p; do
			if [ -d "$p" ]; then chown "$U:$W" "$p" && chmod 2750 "$p"
			else chown "$U:$W" "$p" && chmod 0640 "$p"; fi
		done' sh "$1" "$WORK/iw.err" 2>/dev/null &
	SP=$!
	PIDS="$PIDS $SP"
	i=0
	until grep -q "Watches established" "$WORK/iw.err" 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
		[ $i -lt 600 ] || { say "inotifywait did not start"; break; }
	done
	IW="" LOOP=""
	for c in $(children "$SP"); do
		case $(cat "/proc/$c/comm") in inotifywait) IW=$c ;; *) LOOP=$c ;; esac
	done
}
say "inotifywait -m -r + chown/chmod loop: $EVENTS single-file events"
start_inotifywait "$V"
i_anon=$(anon "$IW")
t0=$(($(ticks "$IW") + $(ticks "$LOOP" c) + $(ticks "$SP")))
i_ev=$(events)
settle "$IW" "$LOOP"
i_cpu=$(per1000 $(($(ticks "$IW") + $(ticks "$LOOP" c) + $(ticks "$SP") - t0)))
kill "$IW" 2>/dev/null || true
wait "$SP" 2>/dev/null || true
clear_events

# --- the seed's cron script -------------------------------------------------
say "the seed's cron script: one run with nothing to fix, one after $EVENTS files"
/usr/bin/time -f '%U %S %M' -o "$WORK/t.idle" sh "$HERE/seed_cron.sh" "$V" "$U" "$W" "$WORK/perm.log"
python3 - "$D" "$EVENTS" <<'EOF'
import os, sys
for i in range(int(sys.argv[2])):
    os.close(os.open(os.path.join(sys.argv[1], "ev%05d.php" % i), os.O_CREAT | os.O_WRONLY, 0o644))
EOF
/usr/bin/time -f '%U %S %M' -o "$WORK/t.run" sh "$HERE/seed_cron.sh" "$V" "$U" "$W" "$WORK/perm.log"
s_idle=$(awk 'END {printf "%.3f", $1 + $2}' "$WORK/t.idle")
s_run=$(awk 'END {printf "%.3f", $1 + $2}' "$WORK/t.run")
s_rss=$(awk 'END {print $3}' "$WORK/t.run")
clear_events
"$BIN" "$VN" --root "$R" --user "$U" --quiet >/dev/null || true

# --- memory at ~1,000,000 entries ---------------------------------------------
c_anon_1m="-" i_anon_1m="-" entries_1m=0
if [ "$DIRS_1M" -gt 0 ]; then
	R1=$WORK/root1m
	mkdir "$R1"
	say "generating a $DIRS_1M x 49 vhost (about a minute)"
	python3 "$HERE/gentree.py" "$R1/big.example" "$DIRS_1M" 49 >/dev/null
	"$BIN" big.example --root "$R1" --user "$U" --quiet >/dev/null || true
	entries_1m=$(find "$R1/big.example" | wc -l)
	say "chperms watch and inotifywait on $entries_1m entries"
	start_chperms big.example "$R1"
	c_anon_1m=$(anon "$CP")
	kill "$CP"
	wait "$CP" 2>/dev/null || true
	start_inotifywait "$R1/big.example"
	i_anon_1m=$(anon "$IW")
	kill "$IW" 2>/dev/null || true
	wait "$SP" 2>/dev/null || true
	rm -rf "$R1"
fi

# --- the report ---------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
sec=$WORK/section
{
	echo "## The monitor: incremental repair (\`make bench\`, issue 12)"
	echo
	echo "Machine: $(nproc) CPUs ($cpu), Linux $(uname -r); $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Binary: \`${BENCH_BIN}\` ($(stat -c %s "$BIN") bytes)."
	echo "Tree: $ENTRIES entries (the vhost of the table above); $EVENTS files created one at a time in \`web/app/public/a001/b01\` as root (root:root 0644; the model wants $U:www-data 0640), each waited for until repaired, then ${GAP} s before the next."
	echo
	echo "| | chperms watch --fix | inotifywait -m -r + chown/chmod loop | the seed's cron script, every 5 min |"
	echo "|---|---|---|---|"
	echo "| CPU-s per 1,000 single-file events | **$c_cpu** | $i_cpu | $s_run for a run that repairs the $EVENTS files; $s_idle for each run with nothing to do (12 an hour) |"
	echo "| latency, event to repair: median / p99 (ms) | **$(field "$c_ev" median_ms) / $(field "$c_ev" p99_ms)** | $(field "$i_ev" median_ms) / $(field "$i_ev" p99_ms) | 150,000 / 297,000 (a run every 300 s, by construction) |"
	echo "| events repaired | $(field "$c_ev" repaired) of $EVENTS | $(field "$i_ev" repaired) of $EVENTS | all, at the next run |"
	echo "| anonymous memory, $ENTRIES entries (KiB) | **$c_anon** | $i_anon (inotifywait) | — (peak RSS of a run: $s_rss KiB) |"
	[ "$entries_1m" -gt 0 ] && echo "| anonymous memory, $entries_1m entries (KiB) | **$c_anon_1m** | $i_anon_1m (inotifywait) | — |"
	echo "| sees | every change (create, move, chmod, chown, delete), the whole model | creates and moves only; one owner and mode for every file | everything, 5 minutes late |"
	echo
	echo "Before issue 12 the watcher re-swept the tree after each burst of events: 4.97 CPU-s for 20 events in 10 s on this tree (issue 12), about 250 CPU-s per 1,000 events."
	echo
	echo 'How to read it: CPU is the time the watcher ran while the events ran (/proc/PID/schedstat; for the loop: user + system time of inotifywait, the shell loop and the chown/chmod it forks, from /proc/PID/stat). The loop reacts as fast but forks two programs per file, never sees a chmod or chown (with attrib events it would wake on its own changes forever), gives every file one mode and changes files by path (a symlink swapped in is followed). The cron script'"'"'s latency is its period; each run walks the whole tree whether anything changed or not. Memory is `Anonymous:` of /proc/PID/smaps_rollup once the watcher settled (inotifywait keeps a path per watched directory).'
	echo
	echo "### Goals (issue 12)"
	echo
	awk -v c="$c_cpu" -v p="$(field "$c_ev" p99_ms)" -v m="$c_anon_1m" 'BEGIN {
		printf "- CPU per 1,000 events ≤ 0.05 s: %s s — %s\n", c, (c + 0 <= 0.05 ? "met" : "NOT met")
		printf "- latency p99 ≤ 500 ms: %s ms — %s\n", p, (p + 0 <= 500 ? "met" : "NOT met")
		if (m == "-") print "- anonymous memory ≤ 512 KiB at 1M entries: not measured (BENCH_MON_1M_DIRS=0)"
		else printf "- anonymous memory ≤ 512 KiB at 1M entries: %s KiB — %s\n", m, (m + 0 <= 512 ? "met" : "NOT met")
	}'
	echo
	echo "Reproduce: \`make bench\` (this section alone: \`make bench-monitor\`; as root, \`sh tests/setup-users.sh\` once)."
} >"$sec"
b="<!-- bench:monitor -->"
e="<!-- /bench:monitor -->"
[ -f "$OUT" ] || printf '# chperms benchmarks\n' >"$OUT"
grep -qF "$b" "$OUT" || printf '\n%s\n%s\n' "$b" "$e" >>"$OUT"
awk -v b="$b" -v e="$e" -v f="$sec" '
	$0==b {print; while ((getline l < f) > 0) print l; skip=1; next}
	$0==e {skip=0}
	!skip {print}' "$OUT" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$sec"
