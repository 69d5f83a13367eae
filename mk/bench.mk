# mk/bench.mk — the performance report of issue 6 (not part of `make test`).
# Included by the top-level Makefile.
#
#   make bench      ~100k-entry vhost: audit and repair vs GNU find, the
#                   chown -R + find -exec chmod pipeline and systemd-tmpfiles;
#                   peak RSS; syscalls per entry; then chperms find vs GNU
#                   and BusyBox find on five expressions (bench/find.sh).
#                   A few minutes; writes its sections of BENCHMARKS.md and
#                   prints them.
#   make bench-1m   audit of a ~1,000,000-entry tree (time, RSS), chperms vs
#                   find; its own section of BENCHMARKS.md.
#   make bench-monitor  only the monitor's section (issue 12; make bench runs
#                   it too): CPU per 1,000 single-file events, latency, memory
#                   at 100k and 1M entries, vs inotifywait + chown/chmod and
#                   the seed's cron script. Installs inotify-tools if missing.
#
# The measured binary is the static musl build (dist/x86_64-unknown-linux-musl),
# built here first; if that build fails the bench says so and measures
# target/release/chperms instead. BENCH_BIN=path overrides; BENCH_RUNS (5).

.PHONY: bench bench-1m bench-bin bench-monitor

bench-bin: build users
	@if [ -z "$$BENCH_BIN" ]; then \
		$(MAKE) --no-print-directory cross CROSS_TARGETS=x86_64-unknown-linux-musl \
		|| { echo "bench: musl build failed: measuring target/release/chperms" >&2; \
		     rm -f dist/x86_64-unknown-linux-musl/chperms; }; \
	fi

bench: bench-bin
	sh bench/run.sh 100k
	sh bench/run.sh find

bench-1m: bench-bin
	sh bench/run.sh 1m

bench-monitor: bench-bin
	sh bench/monitor.sh
