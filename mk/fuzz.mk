# mk/fuzz.mk — the cargo-fuzz targets in fuzz/ (issue 9). Included by the
# top-level Makefile.
#
#   make fuzz         every target for FUZZ_SECS seconds (default 600), one
#                     after the other; new inputs kept in target/fuzz-corpus/
#   make fuzz-test    (part of make test) replay every committed seed and
#                     crash input, then each target for FUZZ_TEST_SECS (30)
#
# FUZZ_TARGETS="policy glob" limits both to some targets. cargo-fuzz is
# installed once into target/tools and reused. See fuzz/README.md.

FUZZ_SECS ?= 600
FUZZ_TEST_SECS ?= 30

.PHONY: fuzz fuzz-test

export FUZZ_TARGETS FUZZ_TIMEOUT

fuzz:
	sh fuzz/run.sh run $(FUZZ_SECS)

fuzz-test:
	sh fuzz/run.sh test $(FUZZ_TEST_SECS)

system-test: fuzz-test
