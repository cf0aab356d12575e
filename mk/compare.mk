# compare.mk: `make compare` (upstream's C ukvm-bin against ours, differential, in the emulated AArch64 host) and `make bench` (side-by-side benchmark).
#
#   make compare   every guest and argument set we have under both monitors
#                  (compat/compare/): status (or `timeout`), console,
#                  diagnostics, disk bytes, pings answered; divergences
#                  outside compat/compare/allowlist.tsv fail (each entry says
#                  what ours must print), and so do entries that no longer
#                  hold, a crash or internal error of ours, a failed host
#   make bench     startup, hypercall rate (and the bare-KVM floor), blk and
#                  net throughput, idle PSS, binary size, density; writes
#                  bench/results.json, docs/bench.md, docs/bench.svg
#
# Each pair of monitors carries the same upstream modules (compat/compare/monitors.sh).
# `compare` is in TEST_TARGETS (about 5 minutes in the emulated host);
# mk/harness.mk checks it with deliberately broken monitors.

CMP_OUT := $(BUILD)/compare
CMP_SOLO5 := $(A64_SOLO5_OUT)/src
CMP_TOOLS := $(CMP_OUT)/tools

TEST_TARGETS += compare

.PHONY: compare bench compare-monitors compare-corpus compare-inputs bench-tools

compare-monitors: aarch64-solo5-tests
	sh $(TOP)/compat/compare/monitors.sh $(CMP_SOLO5) $(CMP_OUT)/mon

# The malformed-ELF corpus for EM_AARCH64: tests/elf_corpus.rs' writer,
# built for AArch64 and run under qemu-aarch64.
compare-corpus: aarch64-tools
	rm -rf $(CMP_OUT)/corpus
	cd $(TOP) && $(A64_CARGO_ENV) UKVM_ELF_CORPUS_OUT=$(CMP_OUT)/corpus \
	    cargo test -q --target $(A64_TRIPLE) --test elf_corpus write_corpus -- --exact --nocapture | grep wrote

$(CMP_TOOLS)/%: $(TOP)/bench/tools/%.c | aarch64-tools
	@mkdir -p $(@D)
	$(A64_CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

$(CMP_OUT)/guests/%.o: $(TOP)/bench/guests/%.c $(A64_GUEST_DEPS) | aarch64-tools
	@mkdir -p $(@D)
	$(A64_CC) $(A64_GUEST_CFLAGS) -I$(TOP)/guests -c $< -o $@

$(CMP_OUT)/guests/%.ukvm: $(A64_GUEST_OUT)/start.o $(A64_GUEST_OUT)/rt.o $(CMP_OUT)/guests/%.o $(TOP)/guests/guest.lds
	$(A64_CC) $(A64_GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

bench-tools: $(CMP_TOOLS)/floor $(CMP_TOOLS)/brun $(CMP_OUT)/guests/idle.ukvm

compare-inputs: aarch64-guests modules-guests compare-monitors compare-corpus

compare: compare-inputs
	@$(TOP)/compat/need python3
	python3 $(TOP)/compat/compare/compare --out $(CMP_OUT)

bench: aarch64-guests modules-guests compare-monitors bench-tools
	@$(TOP)/compat/need python3
	python3 $(TOP)/bench/bench --out $(CMP_OUT)
