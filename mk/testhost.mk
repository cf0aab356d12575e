# testhost.mk: the emulated KVM test hosts (compat/testhost) and the upstream Solo5 baseline (compat/upstream).
#
#   make testhost-aarch64    provision the AArch64 host (also testhost-x86_64,
#                            testhost-aarch64-16k: the 16 KiB-page kernel)
#   make test-testhost       the test host's own checks: status, timeout, signals
#   make test-upstream [MONITOR=c|rust] [ARCH=aarch64|aarch64-16k|x86_64]
#                            Solo5 v0.3.1's ukvm test cases in the test host
#   make upstream-rust-bins-aarch64
#                            the MONITOR=rust monitors (see below)
#
# MONITOR=c runs upstream's own C ukvm-bin per test; MONITOR=rust runs the
# ukvm-bins in $(UKVM_BINS)/test_NAME/. Without UKVM_BINS those are built
# here: our library with upstream's unchanged C modules, the ones each
# test's GNUmakefile lists, through compat/ukvm-configure. ARCH=aarch64-16k
# runs the aarch64 build in the host with 16 KiB pages, where upstream's own
# monitor fails (Solo5 issue 529: its cases are reported as skips). There is
# no x86_64 KVM backend yet, so MONITOR=rust is for aarch64 only.

MONITOR ?= c
ARCH ?= aarch64
UPSTREAM_ARCHES := aarch64 x86_64
# What upstream is built for (aarch64-16k runs the aarch64 build).
UPSTREAM_BUILD_ARCH = $(patsubst %-16k,%,$(ARCH))
UPSTREAM_RUST_BINS = $(BUILD)/upstream-$(1)/ukvm-bins-rust

TEST_TARGETS += test-testhost $(UPSTREAM_ARCHES:%=test-upstream-%) \
    test-upstream-aarch64-rust test-upstream-aarch64-16k-rust test-upstream-aarch64-16k-c
# Without a Solo5 source these report every case as skipped (make test says so).
SUITES_NEED_SOLO5 += $(UPSTREAM_ARCHES:%=test-upstream-%) \
    test-upstream-aarch64-rust test-upstream-aarch64-16k-rust test-upstream-aarch64-16k-c

.PHONY: testhost-aarch64 testhost-aarch64-16k testhost-x86_64 test-testhost test-upstream \
    test-upstream-aarch64 test-upstream-x86_64 test-upstream-aarch64-rust \
    test-upstream-aarch64-16k-rust test-upstream-aarch64-16k-c \
    upstream-build-aarch64 upstream-build-x86_64 upstream-rust-bins-aarch64 upstream-rust-bins-x86_64

testhost-aarch64 testhost-aarch64-16k testhost-x86_64: testhost-%:
	$(TOP)/compat/testhost/testhost provision $*

test-testhost:
	$(TOP)/compat/testhost/selftest aarch64

test-upstream: $(if $(and $(filter rust,$(MONITOR)),$(if $(UKVM_BINS),,x)),upstream-rust-bins-$(UPSTREAM_BUILD_ARCH))
	UKVM_BINS="$(UKVM_BINS)" $(TOP)/compat/upstream/test-upstream --arch $(ARCH) --monitor $(MONITOR)

test-upstream-aarch64 test-upstream-x86_64: test-upstream-%:
	UKVM_BINS="$(UKVM_BINS)" $(TOP)/compat/upstream/test-upstream --arch $* --monitor $(MONITOR)

# Our monitor (core from the library, upstream's C modules) on the 4K and
# the 16K-page host; upstream's own on the 16K host, for its failures.
test-upstream-aarch64-rust: upstream-rust-bins-aarch64
	UKVM_BINS=$(call UPSTREAM_RUST_BINS,aarch64) $(TOP)/compat/upstream/test-upstream --arch aarch64 --monitor rust
test-upstream-aarch64-16k-rust: upstream-rust-bins-aarch64
	UKVM_BINS=$(call UPSTREAM_RUST_BINS,aarch64) $(TOP)/compat/upstream/test-upstream --arch aarch64-16k --monitor rust
test-upstream-aarch64-16k-c:
	$(TOP)/compat/upstream/test-upstream --arch aarch64-16k --monitor c

# Upstream's tests built for ARCH in the copy $(BUILD)/upstream-ARCH/src
# (the same build step MONITOR=c runs before its cases).
upstream-build-aarch64 upstream-build-x86_64: upstream-build-%:
	$(TOP)/compat/upstream/test-upstream --arch $* --build-only

# One ukvm-bin per upstream test: the UKVM_MODULES of its GNUmakefile, from
# the copy's ukvm/ (upstream's module sources, unchanged), and our library.
upstream-rust-bins-aarch64: upstream-build-aarch64 aarch64-tools
	@src=$(BUILD)/upstream-aarch64/src; out=$(call UPSTREAM_RUST_BINS,aarch64); \
	if [ ! -d $$src/tests ]; then rm -rf $$out; \
	    echo "upstream: not building the MONITOR=rust monitors: no Solo5 source at SOLO5_SRC=$(SOLO5_SRC)"; exit 0; fi; \
	for d in $$src/tests/test_*/; do \
	    t=$$(basename $$d); \
	    mods=$$(sed -n 's/^UKVM_MODULES=//p' $$d/GNUmakefile); \
	    mkdir -p $$out/$$t && cd $$out/$$t && rm -f ukvm-bin && \
	    { UKVM_CC=$(A64_CC) UKVM_STATIC=1 $(TOP)/compat/ukvm-configure $$src/ukvm $$mods && \
	      $(MAKE) -s -f Makefile.ukvm ukvm-bin; } >build.log 2>&1 || \
	    { cat build.log; echo "upstream: building $$t's ukvm-bin failed"; exit 1; }; \
	    echo "upstream: $$t/ukvm-bin: our core $${mods:+and upstream modules: $$mods}"; \
	done

upstream-rust-bins-x86_64:
	@echo "upstream: MONITOR=rust ARCH=x86_64: there is no x86_64 KVM backend yet (the library stops with 'no KVM backend for x86_64 yet')"; exit 1
