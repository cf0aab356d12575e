# Top-level entry points. Each concern keeps its rules in mk/<concern>.mk
# and adds its test targets to TEST_TARGETS; `make test` runs them all.
#
#   make demo   run a unikernel under our monitor on AArch64 KVM
#   make test   run every test
#
# Build products and downloads live under $(BUILD) (default ./build).

SHELL := /bin/bash
TOP := $(abspath .)
BUILD ?= $(TOP)/build
SOLO5_SRC ?= $(abspath $(TOP)/../shared/solo5-v0.3.1)
export SOLO5_SRC BUILD

TEST_TARGETS :=
DEMO_TARGETS :=

.PHONY: all test demo help
all:

include $(sort $(wildcard mk/*.mk))

# The closing line counts suites (make targets); each suite printed its own
# per-case lines and totals above. make stops at the first failing suite.
test: $(TEST_TARGETS)
	@echo "make test: every suite passed: $(TEST_TARGETS)"
	@echo "suites: $(words $(TEST_TARGETS)) passed, 0 failed, 0 skipped"

demo: $(DEMO_TARGETS)

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'
