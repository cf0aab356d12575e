# elf.mk: `make test-elf` runs the ELF loader's tests (src/elf/, tests/elf_*.rs). Fuzzing is apart: mk/fuzz.mk.
#
#   make test-elf   unit tests (elf::), the malformed-ELF corpus in process and
#                   through ukvm_elf_load in child processes, a kernel linked
#                   with Solo5's linker script, kernels built elsewhere under
#                   $(BUILD) when present, a fixed-seed mutation run, and a
#                   differential run against upstream's ukvm_elf.c (SOLO5_SRC)

.PHONY: test-elf
TEST_TARGETS += test-elf

test-elf: rust-deps
	cd $(TOP) && $(CARGO) test --lib -- elf::
	cd $(TOP) && $(CARGO) test --test elf_corpus --test elf_mutate --test elf_oracle -- --show-output
