# ctests.mk: `make test-c` builds libukvm.a for x86_64 and aarch64 and runs the CMake/ctest C tests (c-tests/).

CTESTS_BUILD := $(BUILD)/c-tests
CTESTS_AARCH64 := aarch64-unknown-linux-gnu
CTESTS_LIB_X86_64 := $(TOP)/target/release/libukvm.a
CTESTS_LIB_AARCH64 := $(TOP)/target/$(CTESTS_AARCH64)/release/libukvm.a

.PHONY: test-c c-tests-tools c-tests-libs
TEST_TARGETS += test-c

c-tests-tools:
	@$(TOP)/compat/need --rust-target $(CTESTS_AARCH64) cmake make pkg-config binutils \
	    gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user

c-tests-libs: c-tests-tools
	cd $(TOP) && cargo build --release --lib
	cd $(TOP) && CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	    cargo build --release --lib --target $(CTESTS_AARCH64)

test-c: c-tests-libs
	@mkdir -p $(CTESTS_BUILD)
	@$(TOP)/c-tests/run.sh $(CTESTS_BUILD) $(CTESTS_LIB_X86_64) $(CTESTS_LIB_AARCH64)
