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

/* Control register, EFER and page-table entry bits the monitor sets. */
#define X86_CR0_PE_BIT          0       /* protected mode */
#define X86_CR0_PE              (1UL << X86_CR0_PE_BIT)
#define X86_CR0_MP_BIT          1       /* WAIT/FWAIT honours TS */
#define X86_CR0_MP              (1UL << X86_CR0_MP_BIT)
#define X86_CR0_EM_BIT          2       /* x87 emulation */
#define X86_CR0_EM              (1UL << X86_CR0_EM_BIT)
#define X86_CR0_NE_BIT          5       /* native x87 error reporting */
#define X86_CR0_NE              (1UL << X86_CR0_NE_BIT)
#define X86_CR0_PG_BIT          31      /* paging */
#define X86_CR0_PG              (1UL << X86_CR0_PG_BIT)
#define X86_CR0_INIT            (X86_CR0_PE | X86_CR0_PG | X86_CR0_NE)

#define X86_CR4_PAE_BIT         5       /* physical address extension */
#define X86_CR4_PAE             (1UL << X86_CR4_PAE_BIT)
#define X86_CR4_OSFXSR_BIT      9       /* FXSAVE/FXRSTOR and SSE enabled */
#define X86_CR4_OSFXSR          (1UL << X86_CR4_OSFXSR_BIT)
#define X86_CR4_OSXMMEXCPT_BIT  10      /* SIMD floating-point exceptions */
#define X86_CR4_OSXMMEXCPT      (1UL << X86_CR4_OSXMMEXCPT_BIT)
#define X86_CR4_VMXE_BIT        13      /* VMX (not set at start) */
#define X86_CR4_VMXE            (1UL << X86_CR4_VMXE_BIT)
#define X86_CR4_INIT            (X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

#define X86_EFER_LME_BIT        8       /* long mode enable */
#define X86_EFER_LME            (1UL << X86_EFER_LME_BIT)
#define X86_EFER_LMA_BIT        10      /* long mode active */
#define X86_EFER_LMA            (1UL << X86_EFER_LMA_BIT)
#define X86_EFER_INIT           (X86_EFER_LME | X86_EFER_LMA)

#define X86_PDPT_P_BIT          0       /* present */
#define X86_PDPT_P              (1UL << X86_PDPT_P_BIT)
#define X86_PDPT_RW_BIT         1       /* writable */
#define X86_PDPT_RW             (1UL << X86_PDPT_RW_BIT)
#define X86_PDPT_PS_BIT         7       /* large page */
#define X86_PDPT_PS             (1UL << X86_PDPT_PS_BIT)

/* In KVM's segment attributes: the segment is unusable. */
#define X86_SREG_UNUSABLE_BIT   16
#define X86_SREG_UNUSABLE       (1UL << X86_SREG_UNUSABLE_BIT)

/* One 8-byte GDT descriptor, as the CPU reads it. */
struct x86_gdt_desc {
    uint64_t limit_lo:16;
    uint64_t base_lo:24;
    uint64_t type:4;
    uint64_t s:1;
    uint64_t dpl:2;
    uint64_t p:1;
    uint64_t limit_hi:4;
    uint64_t avl:1;
    uint64_t l:1;
    uint64_t db:1;
    uint64_t g:1;
    uint64_t base_hi:8;
} __attribute__((packed));

/* GDT slots the monitor fills; selectors are these indexes. */
enum x86_gdt_selector {
    X86_GDT_NULL,
    X86_GDT_CODE,
    X86_GDT_DATA,
    X86_GDT_MAX
};

/* GDTR limit: the last byte of the X86_GDT_MAX descriptors. */
#define X86_GDTR_LIMIT ((sizeof (struct x86_gdt_desc) * X86_GDT_MAX) - 1)

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
