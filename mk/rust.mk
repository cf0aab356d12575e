# Rust library (libukvm.a, libukvm.so, rlib): build for the host and for
# AArch64, package the static library with only the C API global, test.
#
#   make rust-lib          $(BUILD)/rust/<host triple>/libukvm.{a,so}
#   make rust-lib-aarch64  $(BUILD)/rust/aarch64-unknown-linux-gnu/libukvm.{a,so}
#   make test-rust         unit and death tests, header drift, symbols, C links,
#                          differential tests against upstream's C core and CLI

RUST_AARCH64 := aarch64-unknown-linux-gnu
CARGO ?= cargo
CARGO_TARGET_DIR ?= $(TOP)/target
RUST_HOST = $(shell rustc -vV | sed -n 's/^host: //p')
RUST_PKG := $(BUILD)/rust
# Unit-test modules owned by the core library (other parts test their own).
RUST_CORE_TESTS := abi:: cli:: diag:: ffi:: monitor::
# The same unit tests, cross-built, run under user-mode QEMU (they never
# touch KVM): layouts and bindgen output checked on the real target ABI.
RUST_AARCH64_RUNNER := qemu-aarch64 -L /usr/aarch64-linux-gnu

.PHONY: rust-deps rust-lib rust-lib-aarch64 test-rust
TEST_TARGETS += test-rust

rust-deps:
	@compat/need --rust-target $(RUST_AARCH64) --rust-component clippy --rust-component rustfmt libclang-dev clang gcc binutils \
	    gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross \
	    qemu-user

rust-lib: rust-deps
	cd $(TOP) && $(CARGO) build --release --lib
	mk/rust/package.sh $(CARGO_TARGET_DIR)/release $(RUST_PKG)/$(RUST_HOST)

rust-lib-aarch64: rust-deps
	cd $(TOP) && $(CARGO) build --release --lib --target $(RUST_AARCH64)
	mk/rust/package.sh $(CARGO_TARGET_DIR)/$(RUST_AARCH64)/release \
	    $(RUST_PKG)/$(RUST_AARCH64) aarch64-linux-gnu-

test-rust: rust-lib rust-lib-aarch64
	cd $(TOP) && $(CARGO) test --lib -- --show-output $(RUST_CORE_TESTS)
	cd $(TOP) && UKVM_TEST_RUNNER="$(RUST_AARCH64_RUNNER)" \
	    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$(RUST_AARCH64_RUNNER)" \
	    $(CARGO) test --lib --target $(RUST_AARCH64) -- --show-output $(RUST_CORE_TESTS)
	cd $(TOP) && $(CARGO) test --test header_drift -- --show-output
	@# The lint contract ([lints] in Cargo.toml: SAFETY comments on every
	@# unsafe block, unsafe_op_in_unsafe_fn, no raw-pointer derefs in safe
	@# fns) on every target, any warning an error; and rustfmt's layout.
	cd $(TOP) && $(CARGO) clippy --all-targets -- -D warnings
	cd $(TOP) && $(CARGO) fmt --check
	tests/rust/symbols.sh $(CARGO_TARGET_DIR)/release $(RUST_PKG)/$(RUST_HOST)
	tests/rust/symbols.sh $(CARGO_TARGET_DIR)/$(RUST_AARCH64)/release \
	    $(RUST_PKG)/$(RUST_AARCH64) aarch64-linux-gnu-
	tests/rust/c-link.sh $(RUST_PKG)/$(RUST_HOST)
	tests/rust/c-link.sh $(RUST_PKG)/$(RUST_AARCH64) aarch64-linux-gnu-
	tests/rust/diff-upstream.sh $(RUST_PKG)/$(RUST_HOST)
