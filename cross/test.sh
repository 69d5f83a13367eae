#!/bin/sh
# cross/test.sh [TARGET...] — the host test suite, run for TARGET under qemu-user.
#
# Default targets: mipsel-unknown-linux-musl armv7-unknown-linux-musleabihf
# (override with arguments or CROSS_TEST_TARGETS). For each target:
#   1. build every test binary (unit tests and tests/*.rs) for the target:
#      cargo zigbuild --tests --target T -Zbuild-std   (dev profile, unwinding
#      std, so #[should_panic] and failing tests behave as on the host)
#   2. build the release binary (cross/build.sh T): the integration tests spawn
#      THAT binary, the one we ship, via CHPERMS_BIN=dist/T/chperms and
#      CHPERMS_RUNNER=qemu-<arch>-static (the test helper prepends the runner).
#      CROSS_TEST_BIN=cargo spawns the cargo-built debug binary instead.
#   3. run each test binary under qemu-<arch>-static from the repo root, every
#      output line prefixed with [T].
# Extra arguments for the libtest harness: CROSS_TEST_ARGS (default
# "--test-threads=1"; see below). CROSS_TEST_HANG_SECS (default 600): a test
# binary with no result by then is stopped and tried once more.
#
# Exit 0 only if every target built and every test binary passed. A target
# that cannot be built or run is a failure, never a skip.
set -eu
. "$(dirname "$0")/env.sh"
need_tools

targets=${*:-${CROSS_TEST_TARGETS:-mipsel-unknown-linux-musl armv7-unknown-linux-musleabihf}}
cd "$REPO"
log_dir="$CROSS_TARGET_DIR/test-logs"
mkdir -p "$log_dir"

# One test at a time under qemu: libtest then names each test as it starts
# (so a hang names its test), and no guest thread is running while another
# forks a child. qemu-user 7.2 can deadlock a child forked while other guest
# threads run; CI lost a whole run to one such hang. A test binary that prints
# no result within CROSS_TEST_HANG_SECS is stopped, reported, and tried once
# more.
test_args=${CROSS_TEST_ARGS:---test-threads=1}
hang_secs=${CROSS_TEST_HANG_SECS:-600}
hung=""
summary=""
bad=0
for t in $targets; do
	known_target "$t"
	qemu=$(qemu_for "$t")
	[ -n "$qemu" ] || die "$t runs natively; cross-test is for emulated targets (the host suite covers x86_64)"
	command -v "$qemu" >/dev/null || die "$qemu not found: run 'make deps-cross'"

	say "[$t] building the release binary"
	sh "$REPO/cross/build.sh" "$t"

	say "[$t] building test binaries"
	json="$log_dir/$t.build.json"
	RUSTC_BOOTSTRAP=1 \
	CARGO_TARGET_DIR="$CROSS_TARGET_DIR" \
	RUSTFLAGS="$(target_rustflags "$t")" \
		cargo zigbuild --quiet --locked --tests --target "$t" -Zbuild-std \
		--message-format=json >"$json" \
		|| die "[$t] building the test binaries failed (see above)"
	# Test executables: artifacts whose profile says test and that have a path.
	exes=$(grep '"reason":"compiler-artifact"' "$json" \
		| grep '"profile":{[^}]*"test":true}' \
		| grep -v '"executable":null' \
		| sed 's/.*"executable":"\([^"]*\)".*/\1/' | sort -u)
	[ -n "$exes" ] || die "[$t] cargo built no test binaries: nothing would be tested"

	if [ "${CROSS_TEST_BIN:-dist}" = cargo ]; then
		bin="$CROSS_TARGET_DIR/$t/debug/chperms"
	else
		bin="$DIST/$t/chperms"
	fi
	[ -x "$bin" ] || die "[$t] $bin missing"

	t_pass=0 t_fail=0 t_bins=0 t_badbins=""
	for exe in $exes; do
		name=${exe##*/}
		name=${name%-*}
		out="$log_dir/$t.$name.out"
		say "[$t] running $name under $qemu"
		try=1
		while :; do
			set +e
			# shellcheck disable=SC2086
			CHPERMS_BIN="$bin" CHPERMS_RUNNER="$qemu" CHPERMS_TARGET="$t" \
			CARGO_MANIFEST_DIR="$REPO" RUST_BACKTRACE=0 \
				timeout -k 10 "$hang_secs" \
				"$qemu" "$exe" $test_args </dev/null >"$out" 2>&1
			rc=$?
			set -e
			sed "s|^|[$t] |" "$out"
			# 124/137: timeout(1) stopped it. One hung test binary is
			# retried once, loudly; a second hang, or any failure, counts.
			case $rc in 124 | 137) ;; *) break ;; esac
			last=$(sed -n 's/^test \(.*\) \.\.\. *$/\1/p' "$out" | tail -n 1)
			say "[$t] $name HUNG: no result within ${hang_secs}s under $qemu (last test started: ${last:-none})"
			hung="$hung $t:$name(${last:-?})"
			[ "$try" -lt 2 ] || break
			try=$((try + 1))
			say "[$t] running $name again (try $try of 2)"
		done
		t_bins=$((t_bins + 1))
		# Sum libtest's "test result: ok. N passed; M failed; ..." lines.
		p=$(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' "$out" | awk '{s+=$1} END {print s+0}')
		t_pass=$((t_pass + p))
		t_fail=$((t_fail + f))
		if [ "$rc" -ne 0 ]; then
			t_badbins="$t_badbins $name(exit $rc)"
			# A crash (e.g. SIGILL under qemu) prints no result line.
			[ "$f" -gt 0 ] || t_fail=$((t_fail + 1))
		fi
	done
	if [ "$t_pass" -eq 0 ] && [ -z "$t_badbins" ]; then
		# Zero tests passing is not a pass: the suite did not run here.
		t_badbins=" (no test ran: $t_bins test binaries, 0 tests)"
	fi
	if [ -n "$t_badbins" ]; then
		bad=1
		summary="$summary
[$t] FAILED: $t_pass passed, $t_fail failed, in $t_bins test binaries; failing:$t_badbins"
	else
		summary="$summary
[$t] ok: $t_pass passed, 0 failed, in $t_bins test binaries"
	fi
done

# Byte order: the big-endian mips binary against the host.
set +e
sh "$REPO/cross/mips-check.sh"
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
	summary="$summary
[mips-unknown-linux-musl] ok: big-endian stat/apply checks"
else
	bad=1
	summary="$summary
[mips-unknown-linux-musl] FAILED: big-endian stat/apply checks (see above)"
fi

[ -z "$hung" ] || summary="$summary
HUNG under qemu (stopped after ${hang_secs}s, tried again once):$hung"
printf '\ncross-test summary (logs in %s):%s\n' "$log_dir" "$summary"
[ "$bad" -eq 0 ] || die "some targets failed: see the summary above"
say "all cross targets passed"
