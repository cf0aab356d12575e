# fuzz.mk: `make fuzz` fuzzes the ELF loader for a bounded time. Not part of `make test`.
#
#   make fuzz [FUZZ_SECONDS=60]
#
# Seeds fuzz/corpus/elf_load/ (gitignored) with the malformed-ELF corpus
# that tests/elf_corpus.rs generates, then runs the cargo-fuzz target
# fuzz/fuzz_targets/elf_load.rs (libFuzzer + AddressSanitizer) for
# FUZZ_SECONDS. cargo-fuzz needs a nightly toolchain: `make fuzz` installs
# nightly with rustup and cargo-fuzz with cargo when they are missing. If
# either cannot be had, it says so and falls back to a stable-Rust random
# mutation harness (tests/elf_mutate.rs, timed_mutation_fuzz): no coverage
# guidance and no sanitizer, but the same checks for the same time.
# Crashing inputs: fuzz/artifacts/elf_load/ (cargo-fuzz) or
# $(BUILD)/fuzz-stable/ (fallback).

FUZZ_SECONDS ?= 60
FUZZ_CORPUS := $(TOP)/fuzz/corpus/elf_load
FUZZ_STABLE_OUT := $(BUILD)/fuzz-stable

.PHONY: fuzz fuzz-seed fuzz-libfuzzer fuzz-stable

fuzz-seed:
	@mkdir -p $(FUZZ_CORPUS)
	cd $(TOP) && UKVM_ELF_CORPUS_OUT=$(FUZZ_CORPUS) cargo test -q --test elf_corpus write_corpus -- --nocapture

# True when nightly and cargo-fuzz are there, or could be installed.
fuzz_tools_ok = { rustup run nightly rustc --version >/dev/null 2>&1 || \
	    rustup toolchain install nightly --profile minimal; } && \
	{ cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked; }

fuzz: fuzz-seed
	@$(TOP)/compat/need g++
	@if $(fuzz_tools_ok); then \
	    $(MAKE) --no-print-directory fuzz-libfuzzer; \
	else \
	    echo "fuzz: NOTE: nightly or cargo-fuzz unavailable; using the stable mutation harness instead"; \
	    $(MAKE) --no-print-directory fuzz-stable; \
	fi

fuzz-libfuzzer:
	@echo "fuzz: cargo-fuzz elf_load for $(FUZZ_SECONDS) s (libFuzzer, ASan)"
	cd $(TOP)/fuzz && cargo +nightly fuzz run elf_load $(FUZZ_CORPUS) -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1
	@echo "fuzz: elf_load ran $(FUZZ_SECONDS) s without a failure"

fuzz-stable:
	@echo "fuzz: stable mutation harness for $(FUZZ_SECONDS) s"
	cd $(TOP) && UKVM_FUZZ_SECONDS=$(FUZZ_SECONDS) UKVM_FUZZ_ARTIFACTS=$(FUZZ_STABLE_OUT) \
	    cargo test -q --test elf_mutate timed_mutation_fuzz -- --ignored --nocapture
