/*
 * Stand-ins for upstream's backend and ELF loader, so that upstream's
 * ukvm_main.c can be run up to the point where ours, on a host without
 * our KVM backend, stops: both then print the same line.
 */

#include <err.h>
#include <stdlib.h>

#include "ukvm.h"

void ukvm_hv_mem_size(size_t *mem_size)
{
    (void)mem_size;
}

struct ukvm_hv *ukvm_hv_init(size_t mem_size)
{
    (void)mem_size;
    errx(1, "no KVM backend for %s yet", STUB_ARCH);
}

void ukvm_elf_load(const char *file, uint8_t *mem, size_t mem_size,
        ukvm_gpa_t *p_entry, ukvm_gpa_t *p_end)
{
    (void)file; (void)mem; (void)mem_size; (void)p_entry; (void)p_end;
    abort();
}

void ukvm_hv_vcpu_init(struct ukvm_hv *hv, ukvm_gpa_t gpa_ep,
        ukvm_gpa_t gpa_kend, char **cmdline)
{
    (void)hv; (void)gpa_ep; (void)gpa_kend; (void)cmdline;
    abort();
}

int ukvm_hv_vcpu_loop(struct ukvm_hv *hv)
{
    (void)hv;
    abort();
}
