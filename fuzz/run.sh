#!/bin/sh
# fuzz/run.sh — build the cargo-fuzz targets and run them (see fuzz/README.md).
#
#   sh fuzz/run.sh replay       every committed input (seeds/, regressions/)
#                               once through each target
#   sh fuzz/run.sh run SECS     each target for SECS seconds, one after the
#                               other; new inputs go to target/fuzz-corpus/
#   sh fuzz/run.sh test SECS    replay, then run each for SECS (make test)
#
# FUZZ_TARGETS="glob quote" picks targets (default: all `cargo fuzz list`
# names). A crash (or a timeout over FUZZ_TIMEOUT seconds for one input,
# default 10) stops with exit 1 and names the input libFuzzer saved under
# target/fuzz-artifacts/TARGET/: copy it to fuzz/regressions/TARGET/ once
# fixed, so that every later run replays it.
#
# Tools: cargo-fuzz 0.13.2 is installed once into target/tools (about 4
# minutes) and reused; the stable toolchain takes its -Z flags with
# RUSTC_BOOTSTRAP=1; libFuzzer needs a C++ compiler (g++ from apt).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
mode=${1:-}
secs=${2:-600}
export RUSTC_BOOTSTRAP=1
tools=$top/target/tools
fuzz_bin=$tools/bin/cargo-fuzz
build_dir=$top/target/fuzz
bins=$build_dir/x86_64-unknown-linux-gnu/release
timeout=${FUZZ_TIMEOUT:-10}

say() { echo "fuzz: $*"; }
die() { echo "fuzz: $*" >&2; exit 1; }

case $mode in
replay | run | test) ;;
*) die "usage: sh fuzz/run.sh replay | run SECS | test SECS" ;;
esac

install_tools() {
	if ! command -v c++ >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "libFuzzer needs a C++ compiler: apt-get install g++"
		say "apt-get install g++ (libFuzzer is C++)"
		apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends g++ >/dev/null ||
			{ apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
				apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends g++ >/dev/null; }
	fi
	if [ "$("$fuzz_bin" --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
		say "installing cargo-fuzz 0.13.2 into target/tools (once; about 4 minutes)"
		cargo install --locked --quiet --root "$tools" cargo-fuzz --version 0.13.2
	fi
}

build() {
	# The lock file is committed: refuse to change it (cargo-fuzz has no
	# --locked of its own).
	cargo fetch --locked --quiet --manifest-path fuzz/Cargo.toml ||
		die "fuzz/Cargo.lock is out of date (did chperms's dependencies change?): run 'cargo update --manifest-path fuzz/Cargo.toml --workspace' and commit it"
	"$fuzz_bin" build --target-dir "$build_dir" >"$top/target/fuzz-build.log" 2>&1 ||
		{ cat "$top/target/fuzz-build.log" >&2; die "build failed"; }
}

targets() {
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		echo "$FUZZ_TARGETS"
	else
		"$fuzz_bin" list
	fi
}

# The committed inputs of target $1, as directories libFuzzer reads.
committed() {
	for d in fuzz/seeds/$1 fuzz/regressions/$1; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# run_one TARGET LABEL LIBFUZZER-ARGS... — runs one target, prints one line.
run_one() {
	t=$1
	label=$2
	shift 2
	log=$top/target/fuzz-logs/$t.$label.log
	mkdir -p "$top/target/fuzz-logs" "$top/target/fuzz-artifacts/$t"
	dict=
	[ -f "fuzz/dict/$t.dict" ] && dict=-dict=fuzz/dict/$t.dict
	# shellcheck disable=SC2086 # $dict is one word or none
	if ! "$bins/$t" -artifact_prefix="$top/target/fuzz-artifacts/$t/" $dict \
		-timeout="$timeout" -print_final_stats=1 "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		art=$(ls -t "$top/target/fuzz-artifacts/$t/" 2>/dev/null | head -n 1)
		die "$t ($label) FAILED; input: target/fuzz-artifacts/$t/$art; log: $log"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	case $label in
	replay) say "$t ($label): ${runs:-?} executions, no crash" ;;
	*) say "$t ($label): ${runs:-?} executions, ${rate:-?}/s, no crash" ;;
	esac
}

replay() {
	for t in $(targets); do
		dirs=$(committed "$t")
		[ -n "$dirs" ] || die "$t has no committed inputs: add fuzz/seeds/$t/"
		n=$(find $dirs -type f | wc -l)
		# -runs=0: read and execute the given inputs, mutate nothing.
		# shellcheck disable=SC2086 # word splitting of $dirs is intended
		run_one "$t" replay -runs=0 $dirs
		say "$t: $n committed inputs replayed"
	done
}

fuzz_all() {
	for t in $(targets); do
		corpus=$top/target/fuzz-corpus/$t
		mkdir -p "$corpus"
		# shellcheck disable=SC2086
		run_one "$t" "${secs}s" -max_total_time="$secs" "$corpus" $(committed "$t")
		say "$t: $(find "$corpus" -type f | wc -l) inputs in target/fuzz-corpus/$t"
	done
}

start=$(date +%s)
install_tools
cargo fmt --check --manifest-path fuzz/Cargo.toml || die "fuzz/: cargo fmt --manifest-path fuzz/Cargo.toml"
build
case $mode in
replay) replay ;;
run) fuzz_all ;;
test)
	replay
	fuzz_all
	;;
esac
say "all targets passed ($mode), wall time $(($(date +%s) - start)) s"
