# chperms — the two commands a fresh Debian machine needs:
#   make demo   build, then run the main job on a demo vhost tree
#   make test   install what the tests need, then run every test
# Everything a test needs is installed by targets here (deps, deps-cross), so
# CI (`.ci/run` = `make test`, as root, no stdin) needs nothing by hand.

CARGO ?= cargo
BIN   := target/release/chperms

.PHONY: all build demo test deps users lint test-host test-cases bench clean system-test

all: build

build:
	$(CARGO) build --release --locked

demo: build
	sh tests/demo.sh $(BIN)

# Debian packages the host tests use (setpriv, strace for bench, python3 for
# sockets in trees); idempotent and quick when present.
deps:
	sh tests/install-deps.sh

users:
	sh tests/setup-users.sh

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# Every Rust test on the host (unit tests and the integration tests in tests/,
# which spawn the real binary on real trees).
test-host: deps users
	@start=$$(date +%s); $(CARGO) test --locked --no-fail-fast; rc=$$?; \
	echo "test-host: wall time $$(( $$(date +%s) - start )) s"; exit $$rc

# The suites that run the real programs around chperms (package managers,
# service managers, browsers, fuzzers). Each mk/*.mk adds its own suite as a
# prerequisite of system-test and prints its wall time.
system-test:
	@echo "system-test: every system suite passed"

test: lint test-host pkg-test cross-test system-test
	@echo "make test: all suites passed (lint, host, packages, qemu mipsel/armv7, mips byte order, system suites)"
	@echo "(size and speed are reports, not tests: make size, make bench)"

clean:
	$(CARGO) clean
	rm -rf dist

# Every mk/*.mk: cross builds and packages, bench, and one file per system
# suite (each adds itself to system-test).
include $(sort $(wildcard mk/*.mk))
