# Minimal top-level Makefile for the cross worktree; the lead's version wins.
.PHONY: test
test:
	cargo test
include mk/cross.mk
