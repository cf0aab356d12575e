# harness.mk: `make test-harness`: the test suite's own check: deliberately broken monitors that compare and the guest checks must catch.
#
#   make test-harness   compare's matcher on synthetic records
#                       (compat/compare/test_allowlist.py: a crash or an
#                       internal error of ours is rejected by every
#                       allowlist entry), then the mutants of our monitor
#                       (compat/compare/mutants/) through a subset of
#                       compare's cases (compat/compare/harness-cases) and
#                       through guests/check.sh, in one host boot: each must
#                       be caught (compat/compare/harness)
#
# The mutants are linked from the objects and library of our compare
# monitors (never by changing src/). Without SOLO5_SRC there is no upstream
# monitor: the mutants are reported as skipped, the matcher still runs.

HARNESS_MUTANTS := $(CMP_OUT)/mutants
# The mutants guests/check.sh also runs under (about 30 s each in the
# emulated host, so only the one whose breakage check.sh exists for: the
# statuses of refusals). A trial run with elf-error-internal too caught it
# there as well (check.sh's lowhello case); check.sh has no timer for
# elf-error-hangs and runs net through its own monitor, not the mutant.
HARNESS_CHECK_SIDES := refusal-exits-0

TEST_TARGETS += test-harness

.PHONY: test-harness compare-matcher-test harness-mutants

compare-matcher-test:
	@$(TOP)/compat/need python3
	python3 $(TOP)/compat/compare/test_allowlist.py

harness-mutants: compare-monitors
	sh $(TOP)/compat/compare/mutants/build.sh $(CMP_OUT)/mon $(HARNESS_MUTANTS)

test-harness: compare-matcher-test compare-inputs harness-mutants aarch64-payload
	python3 $(TOP)/compat/compare/harness --out $(CMP_OUT) --mutants $(HARNESS_MUTANTS) \
	    --guestcheck $(A64_PAYLOAD) --check-sides $(HARNESS_CHECK_SIDES)
