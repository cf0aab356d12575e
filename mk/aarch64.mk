# aarch64.mk: the AArch64 KVM backend's guests (guests/), and `make test-aarch64`: our guests under our monitor on real KVM in the emulated AArch64 host.
#
#   make aarch64-guests   build guests/*.c into $(BUILD)/aarch64/guests/*.ukvm
#   make test-aarch64     build the guests and a core-only monitor
#                         (examples/run_guest.rs, static, for aarch64) and
#                         run guests/check.sh inside compat/testhost.
#   make test-aarch64-16k the same payload in the host whose kernel has
#                         16 KiB pages (no Solo5 checkout needed)

A64_TRIPLE := aarch64-unknown-linux-gnu
A64_CC := aarch64-linux-gnu-gcc
A64_OUT := $(BUILD)/aarch64
A64_GUEST_OUT := $(A64_OUT)/guests
# Own cargo target dir: the static (crt-static) flags would otherwise keep
# invalidating other fragments' aarch64 builds in target/.
A64_CARGO_DIR := $(A64_OUT)/cargo
A64_MONITOR := $(A64_CARGO_DIR)/$(A64_TRIPLE)/release/examples/run_guest
A64_PAYLOAD := $(A64_OUT)/payload
# The emulated host; extra `testhost run` flags for test-aarch64 (e.g.
# --verbose) go in A64_TESTHOST_FLAGS. test-aarch64-16k adds --flavour 16k.
A64_TESTHOST ?= $(TOP)/compat/testhost/testhost
A64_TESTHOST_FLAGS ?=

A64_GUESTS := hello hcbench hostile blk netecho
A64_GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding \
    -fno-pic -fno-pie -fno-stack-protector -fno-tree-loop-distribute-patterns \
    -mgeneral-regs-only -fno-asynchronous-unwind-tables -I$(TOP)/include
A64_GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(TOP)/guests/guest.lds \
    -Wl,-z,max-page-size=0x10000 -Wl,-z,noexecstack -Wl,--build-id=none
A64_GUEST_DEPS := $(TOP)/guests/rt.h $(TOP)/include/ukvm_guest.h

TEST_TARGETS += test-aarch64 test-aarch64-16k

.PHONY: test-aarch64-16k aarch64-payload aarch64-tools aarch64-unit aarch64-guests aarch64-monitor aarch64-io-monitors aarch64-solo5-tests test-aarch64
.SECONDARY: $(A64_GUESTS:%=$(A64_GUEST_OUT)/%.o) $(A64_GUEST_OUT)/start.o $(A64_GUEST_OUT)/rt.o

# rust-deps (mk/rust.mk) brings what building the crate needs (bindgen's
# libclang, the cross binutils); these are ours on top.
aarch64-tools: rust-deps
	@$(TOP)/compat/need --rust-target $(A64_TRIPLE) gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	    binutils-aarch64-linux-gnu libclang-dev clang qemu-user make

A64_CARGO_ENV := CARGO_TARGET_DIR=$(A64_CARGO_DIR) \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=$(A64_CC) \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64

$(A64_GUEST_OUT)/%.o: $(TOP)/guests/%.c $(A64_GUEST_DEPS) | aarch64-tools
	@mkdir -p $(@D)
	$(A64_CC) $(A64_GUEST_CFLAGS) -c $< -o $@

$(A64_GUEST_OUT)/%.o: $(TOP)/guests/%.S | aarch64-tools
	@mkdir -p $(@D)
	$(A64_CC) $(A64_GUEST_CFLAGS) -c $< -o $@

$(A64_GUEST_OUT)/%.ukvm: $(A64_GUEST_OUT)/start.o $(A64_GUEST_OUT)/rt.o $(A64_GUEST_OUT)/%.o $(TOP)/guests/guest.lds
	$(A64_CC) $(A64_GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

# hello linked at 32 KiB: its read-only text covers the command line and
# page tables that the monitor writes (a hostile kernel image). Kept out of
# $(A64_GUEST_OUT), whose images other tests expect to be valid.
A64_BAD_OUT := $(A64_OUT)/bad-images
$(A64_BAD_OUT)/lowhello.ukvm: $(A64_GUEST_OUT)/start.o $(A64_GUEST_OUT)/rt.o $(A64_GUEST_OUT)/hello.o $(TOP)/guests/guest.lds
	@mkdir -p $(@D)
	$(A64_CC) -Wl,--defsym=LOAD_ADDR=0x8000 $(A64_GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

A64_GUEST_FILES := $(A64_GUESTS:%=$(A64_GUEST_OUT)/%.ukvm) $(A64_BAD_OUT)/lowhello.ukvm
aarch64-guests: $(A64_GUEST_FILES)

aarch64-monitor: aarch64-tools
	cd $(TOP) && $(A64_CARGO_ENV) cargo build --release --target $(A64_TRIPLE) --example run_guest

# The backend's unit and integration tests on this host (pure parts, the
# vCPU loop on synthetic exits, page tables walked, the oracle against
# upstream's ukvm_cpu_aarch64.c), then built for AArch64 and run under
# qemu-user (adding exit decoding and register ids against kvm-bindings'
# arm64 UAPI). None of them touches KVM.
aarch64-unit: aarch64-tools
	cd $(TOP) && cargo test --lib -- --show-output arch:: hv::
	cd $(TOP) && cargo test --test arch_paging --test arch_abi --test arch_hv_ffi --test oracle_aarch64_cpu -- --show-output
	cd $(TOP) && $(A64_CARGO_ENV) cargo test --target $(A64_TRIPLE) --lib -- --show-output arch:: hv::
	cd $(TOP) && $(A64_CARGO_ENV) cargo test --target $(A64_TRIPLE) --test arch_paging --test arch_abi -- --show-output

# A64_UKVM_BIN DIR CONFIGURE-ARGS: DIR/ukvm-bin for AArch64 (static), made
# by compat/ukvm-configure CONFIGURE-ARGS (run in DIR) and Makefile.ukvm. The
# old binary goes first, so a failed build never leaves one to be tested;
# the output goes to DIR/build.log, shown when a step fails, which fails
# the recipe.
A64_UKVM_BIN = echo "aarch64: building $(1)/ukvm-bin" && mkdir -p $(1) && cd $(1) && rm -f ukvm-bin && \
    { UKVM_CC=$(A64_CC) UKVM_STATIC=1 $(TOP)/compat/ukvm-configure $(2) && \
      $(MAKE) -s -f Makefile.ukvm ukvm-bin; } >build.log 2>&1 && test -x ukvm-bin || \
    { sed 's/^/    | /' build.log; echo "aarch64: building $(1)/ukvm-bin FAILED"; exit 1; }

# Monitors with one upstream I/O module each (blk, net), made with our
# ukvm-configure from SOLO5_SRC; without SOLO5_SRC check.sh skips those cases.
A64_IO_MODULES := blk net
aarch64-io-monitors: aarch64-tools
	@if [ ! -f "$(SOLO5_SRC)/ukvm/ukvm_module_blk.c" ]; then \
	    echo "aarch64: SKIP building blk/net monitors: no Solo5 source at SOLO5_SRC=$(SOLO5_SRC)"; \
	    for m in $(A64_IO_MODULES); do rm -rf $(A64_OUT)/ukvm-bin-$$m; done; \
	else for m in $(A64_IO_MODULES); do \
	    ( $(call A64_UKVM_BIN,$(A64_OUT)/ukvm-bin-$$m,$(SOLO5_SRC)/ukvm $$m) ) || exit 1; \
	done; fi

# Solo5's own test unikernels (tests/test_*), built for AArch64 from SOLO5_SRC.
A64_SOLO5_OUT := $(A64_OUT)/solo5-tests
aarch64-solo5-tests: aarch64-tools
	sh $(TOP)/guests/solo5/build.sh $(SOLO5_SRC) $(A64_SOLO5_OUT)

# A monitor with a test-only C module that checks struct ukvm_hvb (live fds,
# kvm_run area) the way upstream's gdb/dumpcore code uses it. Needs no Solo5.
A64_HVBCHECK := $(A64_OUT)/ukvm-bin-hvbcheck/ukvm-bin
$(A64_HVBCHECK): $(TOP)/guests/modules/ukvm_module_hvbcheck.c aarch64-tools
	@$(call A64_UKVM_BIN,$(@D),$(TOP)/include hvbcheck=$(TOP)/guests/modules/ukvm_module_hvbcheck.c)

# The third-party example module that c-tests builds on this host
# (c-tests/example/), here linked for AArch64 and run with a real guest:
# a module author's path end to end.
A64_EXAMPLE := $(A64_OUT)/ukvm-bin-example/ukvm-bin
$(A64_EXAMPLE): $(TOP)/c-tests/example/ukvm_module_example.c $(TOP)/c-tests/example/ukvm_module_example.h aarch64-tools
	@$(call A64_UKVM_BIN,$(@D),$(TOP)/include example=$(TOP)/c-tests/example/ukvm_module_example.c)

# The payload both host runs take: monitors, guests, Solo5's tests, scripts.
aarch64-payload: $(A64_HVBCHECK) $(A64_EXAMPLE) aarch64-guests aarch64-monitor aarch64-io-monitors aarch64-solo5-tests
	rm -rf $(A64_PAYLOAD) && mkdir -p $(A64_PAYLOAD)
	cp $(A64_MONITOR) $(A64_GUEST_FILES) $(TOP)/guests/check.sh $(A64_PAYLOAD)/
	cp $(TOP)/guests/solo5/check.sh $(A64_PAYLOAD)/solo5-check.sh
	cp $(TOP)/guests/diff.sh $(A64_PAYLOAD)/diff.sh
	cp $(A64_HVBCHECK) $(A64_PAYLOAD)/ukvm-bin-hvbcheck
	cp $(A64_EXAMPLE) $(A64_PAYLOAD)/ukvm-bin-example
	if ls $(A64_SOLO5_OUT)/*.ukvm >/dev/null 2>&1; then cp $(A64_SOLO5_OUT)/*.ukvm $(A64_PAYLOAD)/; fi
	if [ -x $(A64_SOLO5_OUT)/upstream-core ]; then cp $(A64_SOLO5_OUT)/upstream-core $(A64_PAYLOAD)/; fi
	for m in $(A64_IO_MODULES); do \
	    if [ -x $(A64_OUT)/ukvm-bin-$$m/ukvm-bin ]; then cp $(A64_OUT)/ukvm-bin-$$m/ukvm-bin $(A64_PAYLOAD)/ukvm-bin-$$m; fi; \
	done

test-aarch64: aarch64-unit aarch64-payload
	$(A64_TESTHOST) run aarch64 $(A64_TESTHOST_FLAGS) --timeout 900 --log $(A64_OUT)/test-aarch64.log \
	    $(A64_PAYLOAD) $(A64_PAYLOAD)/check.sh ./run_guest

# Host page size: the same cases on a host kernel with 16 KiB pages, where
# upstream's monitor cannot load Solo5 kernels (Solo5 issue 529) and ours
# must behave exactly as on 4 KiB pages.
test-aarch64-16k: aarch64-payload
	$(A64_TESTHOST) run aarch64 --flavour 16k --timeout 900 --log $(A64_OUT)/test-aarch64-16k.log \
	    $(A64_PAYLOAD) $(A64_PAYLOAD)/check.sh ./run_guest

