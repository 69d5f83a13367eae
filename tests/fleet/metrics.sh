#!/bin/sh
# --metrics, as Prometheus reads it: promtool lints every file chperms
# writes (check, apply, watch), and prometheus_client's parser reads the
# values back and compares them with the JSON output of the same runs.
# Usage: sh tests/fleet/metrics.sh   (after tests/fleet/setup.sh, as root)
set -u
. tests/fleet/lib.sh
workdir metrics
PROMTOOL=$TOOLS/promtool
PY=$VENV/bin/python

# Two vhosts with drift of each kind and one refused entry (a file with a
# second hard link).
mk_trees() {
    rm -rf "$W/srv" "$W/outside"
    mkdir -p "$W/srv/a.org/web/app/public" "$W/srv/b.org/web"
    echo x > "$W/srv/a.org/web/app/public/index.php"
    echo x > "$W/srv/b.org/deploy.sh"
    chmod 777 "$W/srv/b.org/deploy.sh"
    echo x > "$W/srv/b.org/linked"
    ln "$W/srv/b.org/linked" "$W/outside"
}
run() { "$BIN" "$@" --root "$W/srv" --user chpv1 --format json; }
promtool_ok() { "$PROMTOOL" check metrics < "$1"; }

mk_trees
run check --all --metrics "$W/check.prom" > "$W/check.jsonl"
code=$?
[ $code = 1 ] && pass "check exits 1 (a refused hard link)" || fail "check exit" "$code"
check "promtool check metrics: check" promtool_ok "$W/check.prom"
run check a.org > "$W/a.jsonl"
run check b.org > "$W/b.jsonl"
check "prometheus_client reads the check's values back = JSON summary, per tree and kind" \
    "$PY" tests/fleet/compare_metrics.py "$W/check.prom" "$W/check.jsonl" \
    "$W/srv/a.org=$W/a.jsonl" "$W/srv/b.org=$W/b.jsonl"

rm -f "$W/srv/b.org/linked"
run apply --all --metrics "$W/apply.prom" > "$W/apply.jsonl"
code=$?
[ $code = 0 ] && pass "apply exits 0" || fail "apply exit" "$code"
check "promtool check metrics: apply" promtool_ok "$W/apply.prom"
check "prometheus_client: apply's values = JSON summary" \
    "$PY" tests/fleet/compare_metrics.py "$W/apply.prom" "$W/apply.jsonl"
grep -q '^chperms_entries_changed{tree="'"$W"'/srv/a.org"} [1-9]' "$W/apply.prom" &&
    pass "apply: a.org changed > 0" || fail "apply changed" "$(cat "$W/apply.prom")"

# watch: metrics after the first sweep, then after an event batch.
mk_trees
rm -f "$W/srv/b.org/linked"
"$BIN" watch --all --fix --root "$W/srv" --user chpv1 --interval 3600 --quiet \
    --metrics "$W/watch.prom" > "$W/watch.out" 2>&1 &
watch_pid=$!
# The watcher is ours: stopped however this script ends.
trap 'kill "$watch_pid" 2>/dev/null; [ "${FLEET_KEEP:-0}" = 1 ] || rm -rf "$W"' EXIT
wait_for() { # wait_for SECONDS COMMAND...
    n=$(($1 * 10)); shift
    while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}
count_a() { # count_a METRIC: its value for a.org in the watcher's file
    sed -n 's/^chperms_watch_'"$1"'_total{tree="[^"]*\/a.org"} //p' "$W/watch.prom" 2>/dev/null
}
has_sweeps() { test -n "$(count_a sweeps)"; }
more_events() { test "$(count_a events)" -gt "$events_before"; }
index_mode() { stat -c %a "$W/srv/a.org/web/app/public/index.php"; }
if wait_for 15 has_sweeps; then
    pass "watch writes metrics after its first sweep"
else
    fail "watch metrics" "no file: $(cat "$W/watch.out")"
fi
sleep 2 # the first sweep's own repairs are events too: let them settle
events_before=$(count_a events); events_before=${events_before:-0}
sweeps_before=$(count_a sweeps)
mode_before=$(index_mode)
chmod 666 "$W/srv/a.org/web/app/public/index.php"
# An event batch is repaired on its own (no full sweep): the events counter
# grows, the sweeps counter stays where the first sweep left it.
if wait_for 15 more_events; then
    pass "watch rewrites metrics after an event batch (events $events_before -> $(count_a events))"
else
    fail "watch event batch" "events stayed at $events_before: $(cat "$W/watch.prom")"
fi
[ "$(index_mode)" = "$mode_before" ] && pass "the event batch repaired index.php ($mode_before)" ||
    fail "event repair" "index.php is $(index_mode), was $mode_before"
[ "$(count_a sweeps)" = "$sweeps_before" ] &&
    pass "an event batch is not a sweep (sweeps stay at $sweeps_before)" ||
    fail "sweeps after an event batch" "$sweeps_before -> $(count_a sweeps)"
check "promtool check metrics: watch (with its counters)" promtool_ok "$W/watch.prom"
check "prometheus_client parses watch's file" "$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
fams = {f.name: f for f in parse(open(sys.argv[1]).read())}
ev = fams["chperms_watch_events"]
assert ev.type == "counter", ev.type
assert any(s.value >= 1 for s in ev.samples), ev.samples
print("events", [s.value for s in ev.samples])
' "$W/watch.prom"
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null
finish metrics
