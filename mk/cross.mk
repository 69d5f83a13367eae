# mk/cross.mk — cross builds, tests under qemu-user, size budget, packages.
# Included by the top-level Makefile. Each target is a thin call to a script in
# cross/ so that the logic can be run and read without make.
#
#   make deps-cross   install zig, cargo-zigbuild, qemu-user-static, rust-src (idempotent)
#   make cross        dist/<target>/chperms for the five musl targets
#   make cross-test   the test suite under qemu: mipsel, armv7; byte-order check on mips
#   make size         size table + largest symbols; fails over the mipsel budget
#   make ipk          dist/chperms_<version>_<arch>.ipk for five OpenWrt arches, then tests them
#   make alpine       check the Alpine packaging files (APKBUILD, OpenRC, periodic)
#
# Variables (make or environment): CROSS_TARGETS (subset for `make cross`),
# CROSS_TEST_TARGETS (default mipsel + armv7), CROSS_TEST_ARGS (libtest flags, default --test-threads=1),
# CROSS_TEST_HANG_SECS (a test binary silent that long is stopped, tried once more),
# CROSS_TEST_BIN=cargo (spawn the debug binary, not dist/), CROSS_PANIC=abort
# (debug build with panic messages), CROSS_PIE=1 (static-pie on MIPS too),
# SIZE_BUDGET_KIB (default 344),
# CROSS_DIST (default dist), CROSS_TARGET_DIR (default target/cross).

CROSS_SH ?= sh

.PHONY: deps-cross cross cross-test size ipk alpine pkg-test

deps-cross:
	$(CROSS_SH) cross/install-tools.sh

cross: deps-cross
	$(CROSS_SH) cross/build.sh $(CROSS_TARGETS)

cross-test: deps-cross
	@start=$$(date +%s); $(CROSS_SH) cross/test.sh $(CROSS_TEST_TARGETS); rc=$$?; \
	echo "cross-test: wall time $$(( $$(date +%s) - start )) s"; exit $$rc

export CROSS_TEST_ARGS CROSS_TEST_HANG_SECS CROSS_TEST_BIN CROSS_PANIC CROSS_PIE SIZE_BUDGET_KIB CROSS_DIST CROSS_TARGET_DIR

size: cross
	$(CROSS_SH) cross/size.sh

ipk: cross
	$(CROSS_SH) cross/ipk.sh
	$(CROSS_SH) tests/pkg/test-ipk.sh

alpine:
	$(CROSS_SH) tests/pkg/test-alpine.sh

# Package-structure tests (no build needed for the shell-file checks).
pkg-test: ipk alpine
