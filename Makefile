# Top-level entry points. Each concern keeps its rules in mk/<concern>.mk
# and adds its test targets to TEST_TARGETS; `make test` runs them all.
#
#   make demo   run a unikernel under our monitor on AArch64 KVM
#   make test   run every test suite (mk/run-suites: all of them, even
#               after a failure; a table and the counted totals at the end)
#
# Build products and downloads live under $(BUILD) (default ./build).

SHELL := /bin/bash
# A pipeline fails when any of its commands fails: `build | filter` must
# not hide the build's status.
.SHELLFLAGS := -o pipefail -c
TOP := $(abspath .)
BUILD ?= $(TOP)/build
SOLO5_SRC ?= $(abspath $(TOP)/../shared/solo5-v0.3.1)
export SOLO5_SRC BUILD

# The runner's own check comes first: it is cheap and needs no host.
TEST_TARGETS := test-runner
DEMO_TARGETS :=
# Suites that may skip entirely when there is no Solo5 source (the run says
# so loudly); with SOLO5_SRC present every suite must run cases.
SUITES_NEED_SOLO5 := compare

.PHONY: all test demo help test-runner test-deliberate-failure
all:

include $(sort $(wildcard mk/*.mk))

SOLO5_PRESENT := $(if $(wildcard $(SOLO5_SRC)/tests/tests.bats),present,absent)

# Every suite in TEST_TARGETS, each as its own `$(MAKE) SUITE`, logs in
# $(BUILD)/suites/; see mk/run-suites for the counting and exit rules.
test:
	@MAKE="$(MAKE)" $(TOP)/mk/run-suites --logs $(BUILD)/suites --solo5 $(SOLO5_PRESENT) \
	    --needs-solo5 "$(SUITES_NEED_SOLO5)" $(TEST_TARGETS)

test-runner:
	$(TOP)/mk/run-suites-selftest

# Not in TEST_TARGETS: a suite that fails, for showing that the others still
# run and the whole run fails:
#   make test TEST_TARGETS="test-runner test-deliberate-failure test-testhost"
test-deliberate-failure:
	@echo "PASS deliberate-failure-first-case"
	@echo "FAIL deliberate-failure-second-case: failed on purpose"
	@echo "deliberate: 1 passed, 1 failed, 0 skipped"
	@exit 1

demo: $(DEMO_TARGETS)

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'
