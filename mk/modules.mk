# modules.mk: the library's Rust blk and net modules (src/modules/), tested on this machine.
#
#   make test-modules   unit tests (modules::), the hypercalls over test memory
#                       with real files and error-injecting files (EIO, ENOSPC),
#                       real taps in a private network namespace (skipped
#                       loudly without root or /dev/net/tun), the C-ABI module
#                       structs in child processes, ukvm-configure's rust-blk /
#                       rust-net selection linking a monitor, and the guests of
#                       tests/modules_guests/ under real KVM in the emulated
#                       AArch64 host (see below).

.PHONY: test-modules modules-deps
TEST_TARGETS += test-modules

modules-deps:
	@compat/need iproute2

test-modules: rust-lib modules-deps
	cd $(TOP) && $(CARGO) test --lib -- modules::
	cd $(TOP) && $(CARGO) test --test modules_blk --test modules_net --test modules_ffi
	sh $(TOP)/c-tests/scripts/test-configure.sh rust $(BUILD)/modules/configure-rust \
	    $(BUILD)/modules $(RUST_PKG)/$(RUST_HOST)/libukvm.a cc
