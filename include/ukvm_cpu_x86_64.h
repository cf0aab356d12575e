/* ukvm_cpu_x86_64.h: x86_64 guest layout facts that modules may need (memory map, trap frame). */

#ifndef UKVM_CPU_X86_64_H
#define UKVM_CPU_X86_64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Low guest memory as the monitor lays it out before the kernel image.
 * The first page is left unused.
 */
#define X86_GDT_BASE            0x1000
#define X86_GDT_SIZE            0x1000
#define X86_PML4_BASE           0x2000
#define X86_PML4_SIZE           0x1000
#define X86_PDPTE_BASE          0x3000
#define X86_PDPTE_SIZE          0x1000
#define X86_PDE_BASE            0x4000
#define X86_PDE_SIZE            0x1000
#define X86_BOOT_INFO_BASE      0x5000
#define X86_BOOT_INFO_SIZE      0x1000
#define X86_CMDLINE_BASE        0x6000
#define X86_CMDLINE_SIZE        0x2000
#define X86_GUEST_MIN_BASE      0x8000

/* The guest is identity-mapped with 2 MiB pages. */
#define X86_GUEST_PAGE_SIZE     0x200000

/* CR3 at start: the PML4 above. */
#define X86_CR3_INIT            X86_PML4_BASE

/* RFLAGS at start: only the always-one bit 1. */
#define X86_RFLAGS_INIT         0x2

/* GDT slots the monitor fills; selectors are these indexes. */
enum x86_gdt_selector {
    X86_GDT_NULL,
    X86_GDT_CODE,
    X86_GDT_DATA,
    X86_GDT_MAX
};

/*
 * The trap frame a Solo5 guest hands over as its halt cookie after a
 * fatal exception (the same layout as the kernel's struct trap_regs).
 * Needs to fit within UKVM_HALT_COOKIE_MAX bytes.
 */
struct x86_trap_regs {
    uint64_t cr2;                       /* faulting address, page faults */
    uint64_t ec;                        /* error code, or 0 */
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};

#endif /* UKVM_CPU_X86_64_H */
