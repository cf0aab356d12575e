# modules.mk: the library's Rust blk and net modules (src/modules/): tests here and under real KVM in the emulated AArch64 host.
#
#   make test-modules          all of the below
#   make test-modules-local    unit tests (modules::, also cross-built and run
#                              under qemu-aarch64); the hypercalls over test
#                              memory with real and error-injecting files (EIO,
#                              ENOSPC), real taps in a private network namespace
#                              (skipped loudly without root or /dev/net/tun);
#                              the C-ABI module structs in child processes;
#                              rust-blk / rust-net selected through
#                              ukvm-configure and CMake (tests/modules_cmake)
#   make test-modules-aarch64  in the emulated AArch64 host (compat/testhost):
#                              the backend's blk and netecho guests, hostile
#                              requests and host faults (tests/modules_guests/),
#                              and a side-by-side benchmark against upstream's
#                              C modules when SOLO5_SRC is there
#   make test-modules-aarch64-16k  the same on the host with 16 KiB pages
#                              (one benchmark round)
#   make test-modules-upstream upstream's blk and ping-serve cases
#                              (compat/upstream/test-upstream --monitor rust)
#                              with monitors whose blk and net are ours
#                              (skipped loudly without SOLO5_SRC)
#   make modules-upstream-bins those monitors, one per upstream test with the
#                              modules its GNUmakefile lists, blk and net the
#                              Rust ones, in $(MOD_UPSTREAM_BINS) (for
#                              `make test-upstream MONITOR=rust UKVM_BINS=...`)

MOD_OUT := $(BUILD)/modules
MOD_A64 := $(MOD_OUT)/aarch64
MOD_GUESTS := iohostile iobench
MOD_PAYLOAD := $(MOD_A64)/payload
MOD_UPSTREAM_BINS := $(MOD_A64)/ukvm-bins-rust

.PHONY: test-modules test-modules-local test-modules-aarch64 test-modules-aarch64-16k \
    test-modules-upstream modules-deps modules-guests modules-monitors-aarch64 modules-upstream-bins \
    modules-payload
.SECONDARY: $(MOD_GUESTS:%=$(MOD_A64)/%.o)
TEST_TARGETS += test-modules

test-modules: test-modules-local test-modules-aarch64 test-modules-aarch64-16k test-modules-upstream

modules-deps:
	@compat/need iproute2 cmake

test-modules-local: rust-lib modules-deps
	cd $(TOP) && $(CARGO) test --lib -- --show-output modules::
	cd $(TOP) && CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$(RUST_AARCH64_RUNNER)" \
	    $(CARGO) test --lib --target $(RUST_AARCH64) -- --show-output modules::
	cd $(TOP) && $(CARGO) test --test modules_blk --test modules_net --test modules_ffi -- --show-output
	sh $(TOP)/c-tests/scripts/test-configure.sh rust $(MOD_OUT)/configure-rust \
	    $(MOD_OUT) $(RUST_PKG)/$(RUST_HOST)/libukvm.a cc
	$(TOP)/mk/modules-cmake.sh $(MOD_OUT)/cmake $(RUST_PKG)/$(RUST_HOST)/libukvm.a $(SOLO5_SRC)/ukvm

$(MOD_A64)/%.o: $(TOP)/tests/modules_guests/%.c $(A64_GUEST_DEPS) | aarch64-tools
	@mkdir -p $(@D)
	$(A64_CC) $(A64_GUEST_CFLAGS) -I$(TOP)/guests -c $< -o $@

$(MOD_A64)/%.ukvm: $(A64_GUEST_OUT)/start.o $(A64_GUEST_OUT)/rt.o $(MOD_A64)/%.o $(TOP)/guests/guest.lds
	$(A64_CC) $(A64_GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

modules-guests: $(MOD_GUESTS:%=$(MOD_A64)/%.ukvm)

# ukvm-bin-rust-blk, -net: one Rust module each, from no module source at
# all; ukvm-bin-rust: both. ukvm-bin-c-blk, -net: upstream's C modules (for
# the side-by-side benchmark), built only when SOLO5_SRC is there.
# (A64_UKVM_BIN: mk/aarch64.mk; nosrc is an empty SOURCEDIR.)
MOD_CONFIGURE = mkdir -p $(MOD_A64)/$(1)/nosrc && $(call A64_UKVM_BIN,$(MOD_A64)/$(1),$(2))

modules-monitors-aarch64: aarch64-tools
	@$(call MOD_CONFIGURE,ukvm-bin-rust-blk,nosrc rust-blk)
	@$(call MOD_CONFIGURE,ukvm-bin-rust-net,nosrc rust-net)
	@$(call MOD_CONFIGURE,ukvm-bin-rust,nosrc rust-blk rust-net)
	@if [ -f "$(SOLO5_SRC)/ukvm/ukvm_module_blk.c" ]; then \
	    ( $(call MOD_CONFIGURE,ukvm-bin-c-blk,$(SOLO5_SRC)/ukvm blk) ) && \
	    ( $(call MOD_CONFIGURE,ukvm-bin-c-net,$(SOLO5_SRC)/ukvm net) ); \
	else rm -rf $(MOD_A64)/ukvm-bin-c-blk $(MOD_A64)/ukvm-bin-c-net; \
	    echo "modules: not building upstream's C blk/net monitors: no Solo5 source at SOLO5_SRC=$(SOLO5_SRC)"; fi

modules-payload: aarch64-guests modules-guests modules-monitors-aarch64
	rm -rf $(MOD_PAYLOAD) && mkdir -p $(MOD_PAYLOAD)
	for m in rust-blk rust-net rust c-blk c-net; do \
	    if [ -x $(MOD_A64)/ukvm-bin-$$m/ukvm-bin ]; then cp $(MOD_A64)/ukvm-bin-$$m/ukvm-bin $(MOD_PAYLOAD)/ukvm-bin-$$m; fi; \
	done
	cp $(A64_GUEST_OUT)/blk.ukvm $(A64_GUEST_OUT)/netecho.ukvm $(MOD_GUESTS:%=$(MOD_A64)/%.ukvm) \
	    $(TOP)/tests/modules_guests/check.sh $(MOD_PAYLOAD)/

test-modules-aarch64: modules-payload
	$(TOP)/compat/testhost/testhost run aarch64 --timeout 1200 --log $(MOD_A64)/test-modules-aarch64.log \
	    $(MOD_PAYLOAD) $(MOD_PAYLOAD)/check.sh

# The same payload on the host with 16 KiB pages, with one round of the
# benchmark (its runs are checked; the timings of the 4K run are the ones
# to read).
test-modules-aarch64-16k: modules-payload
	$(TOP)/compat/testhost/testhost run aarch64 --flavour 16k --timeout 1200 \
	    --log $(MOD_A64)/test-modules-aarch64-16k.log $(MOD_PAYLOAD) $(MOD_PAYLOAD)/check.sh 1

# One monitor per upstream test, as its GNUmakefile's UKVM_MODULES lists,
# with blk and net taken from the library (gdb, dumpcore stay upstream's).
modules-upstream-bins: aarch64-tools
	@if [ ! -d "$(SOLO5_SRC)/tests" ]; then \
	    rm -rf $(MOD_UPSTREAM_BINS); \
	    echo "modules: not building upstream's test monitors: no Solo5 source at SOLO5_SRC=$(SOLO5_SRC)"; exit 0; fi; \
	for d in $(SOLO5_SRC)/tests/test_*/; do \
	    t=$$(basename $$d); \
	    mods=$$(sed -n 's/^UKVM_MODULES=//p' $$d/GNUmakefile | sed 's/\bblk\b/rust-blk/; s/\bnet\b/rust-net/'); \
	    ( $(call A64_UKVM_BIN,$(MOD_UPSTREAM_BINS)/$$t,$(SOLO5_SRC)/ukvm $$mods) ) || exit 1; \
	    echo "modules: $$t: ukvm-bin with [$$mods]"; \
	done

# (Without SOLO5_SRC, test-upstream reports both cases as skipped.)
test-modules-upstream: modules-upstream-bins
	UKVM_BINS=$(MOD_UPSTREAM_BINS) $(TOP)/compat/upstream/test-upstream --arch aarch64 --monitor rust blk ping-serve
