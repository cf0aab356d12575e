# testhost.mk: the emulated KVM test hosts (compat/testhost) and the upstream Solo5 baseline (compat/upstream).
#
#   make testhost-aarch64    provision the AArch64 host (also testhost-x86_64)
#   make test-testhost       the test host's own checks: status, timeout, signals
#   make test-upstream [MONITOR=c|rust] [ARCH=aarch64|x86_64]
#                            Solo5 v0.3.1's ukvm test cases in the test host
#
# MONITOR=c runs upstream's own C ukvm-bin per test; MONITOR=rust runs the
# ukvm-bins in $(UKVM_BINS)/test_NAME/ built from our library.

MONITOR ?= c
ARCH ?= aarch64
UPSTREAM_ARCHES := aarch64 x86_64

TEST_TARGETS += test-testhost $(UPSTREAM_ARCHES:%=test-upstream-%)

.PHONY: testhost-aarch64 testhost-x86_64 test-testhost test-upstream \
    test-upstream-aarch64 test-upstream-x86_64

testhost-aarch64 testhost-x86_64: testhost-%:
	$(TOP)/compat/testhost/testhost provision $*

test-testhost:
	$(TOP)/compat/testhost/selftest aarch64

test-upstream:
	UKVM_BINS="$(UKVM_BINS)" $(TOP)/compat/upstream/test-upstream --arch $(ARCH) --monitor $(MONITOR)

test-upstream-aarch64 test-upstream-x86_64: test-upstream-%:
	UKVM_BINS="$(UKVM_BINS)" $(TOP)/compat/upstream/test-upstream --arch $* --monitor $(MONITOR)
