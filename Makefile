# chperms — the two commands a fresh Debian machine needs:
#   make demo   build, then run the main job on a demo vhost tree
#   make test   install what the tests need, then run every test
# Everything a test needs is installed by targets here (deps, deps-cross), so
# CI (`.ci/run` = `make test`, as root, no stdin) needs nothing by hand.

CARGO ?= cargo
BIN   := target/release/chperms

.PHONY: all build demo test deps users lint test-host test-cases bench clean

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
	$(CARGO) test --locked --no-fail-fast

test: lint test-host pkg-test cross-test size
	@echo "make test: all suites passed (lint, host, packages, qemu mipsel/armv7, mips byte order)"

clean:
	$(CARGO) clean
	rm -rf dist

include mk/cross.mk
-include mk/bench.mk
