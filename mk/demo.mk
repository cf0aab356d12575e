# demo.mk: `make demo`: hello, blk and net under our monitor on real KVM in the emulated AArch64 host (compat/demo).
#
#   make demo-ukvm   (part of `make demo`) builds three monitors from the
#                    library with compat/ukvm-configure (core only; the Rust
#                    blk module; the Rust net module: no Solo5 source
#                    needed), the backend's guests (make aarch64-guests) and,
#                    when SOLO5_SRC is there, Solo5's tests; then one boot of
#                    the test host runs hello, blk (a disk image written and
#                    verified), net (ping and a ping flood from the host
#                    side) and Solo5's test_hello, timing each.

DEMO_OUT := $(BUILD)/demo
DEMO_MONITORS := ukvm-bin ukvm-bin-blk ukvm-bin-net

DEMO_TARGETS += demo-ukvm
.PHONY: demo-ukvm demo-monitors

# DEMO_CONFIGURE NAME MODULES: one monitor, as a Solo5 build would make it.
# The build's chatter goes to a log, shown only when the build fails.
DEMO_CONFIGURE = mkdir -p $(DEMO_OUT)/build-$(1)/nosrc && cd $(DEMO_OUT)/build-$(1) && \
    { UKVM_CC=$(A64_CC) UKVM_STATIC=1 $(TOP)/compat/ukvm-configure nosrc $(2) && \
      $(MAKE) -s -f Makefile.ukvm ukvm-bin; } >build.log 2>&1 && cp ukvm-bin $(DEMO_OUT)/$(1) || \
    { cat build.log; echo "demo: building $(1) failed"; exit 1; }

demo-monitors: aarch64-tools
	@echo "demo: building our monitor for AArch64 (core only, with the Rust blk module, with the Rust net module)"
	@$(call DEMO_CONFIGURE,ukvm-bin,)
	@$(call DEMO_CONFIGURE,ukvm-bin-blk,rust-blk)
	@$(call DEMO_CONFIGURE,ukvm-bin-net,rust-net)

demo-ukvm: demo-monitors aarch64-guests upstream-build-aarch64
	$(TOP)/compat/demo/demo $(DEMO_OUT) $(A64_GUEST_OUT) $(BUILD)/upstream-aarch64/src/tests/test_hello/test_hello.ukvm
