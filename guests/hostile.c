/* hostile.c: a guest that misbehaves on purpose, one way per "case=NAME". */
#include "rt.h"

extern char _end[];

static void mmio_store32(uint64_t addr, uint32_t v)
{
    __asm__ __volatile__("str %w0, [%1]" :: "r"(v), "r"(addr) : "memory");
}

static void mmio_store64(uint64_t addr, uint64_t v)
{
    __asm__ __volatile__("str %0, [%1]" :: "r"(v), "r"(addr) : "memory");
}

static uint32_t mmio_load32(uint64_t addr)
{
    uint32_t v;
    __asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
    return v;
}

static int is(const char *v, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(v, name, n) == 0;
}

int guest_main(struct ukvm_boot_info *bi)
{
    const char *c;
    size_t n;
    if (!rt_arg("case", &c, &n))
        rt_fail("hostile: say case=NAME");

    rt_printf("hostile: %s\n", bi->cmdline);
    if (is(c, n, "nullderef")) {
        /*
         * Page 0 is unmapped: the guest's own vector catches this. The
         * pointer comes through a volatile so the compiler cannot see it
         * is NULL (it would emit a trap instruction instead of the load).
         */
        static volatile uint64_t zero;
        return *(volatile int *)zero;
    } else if (is(c, n, "above-ram")) {
        /* Above RAM nothing is mapped either. */
        return *(volatile int *)(bi->mem_size + 0x1000);
    } else if (is(c, n, "write-text")) {
        /* The monitor maps the text segment read-only on the host. */
        *(volatile uint32_t *)(uint64_t)&guest_main = 0;
        return 0;
    } else if (is(c, n, "mmio-read")) {
        return (int)mmio_load32(UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_PUTS));
    } else if (is(c, n, "mmio-store64")) {
        mmio_store64(UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_PUTS), 0);
    } else if (is(c, n, "mmio-past-max")) {
        mmio_store32(UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_MAX), 0);
    } else if (is(c, n, "mmio-far")) {
        mmio_store32(UKVM_HYPERCALL_MMIO_BASE + 0x10000000, 0);
    } else if (is(c, n, "hypercall-0")) {
        mmio_store32(UKVM_HYPERCALL_ADDRESS(0), 0x1000);
    } else if (is(c, n, "halt-bad-gpa")) {
        mmio_store32(UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_HALT), 0xfffffff0);
    } else if (is(c, n, "puts-bad-gpa")) {
        volatile struct ukvm_puts p = { .data = (const char *)(bi->mem_size - 4), .len = 4096 };
        ukvm_do_hypercall(UKVM_HYPERCALL_PUTS, &p);
    } else if (is(c, n, "walltime-into-text")) {
        /* The result would land in the guest's own read-only text. */
        ukvm_do_hypercall(UKVM_HYPERCALL_WALLTIME, (void *)(uint64_t)&guest_main);
    } else if (is(c, n, "poll-into-text")) {
        ukvm_do_hypercall(UKVM_HYPERCALL_POLL, (void *)(uint64_t)&guest_main);
    } else if (is(c, n, "puts-len-wraps")) {
        /* data + len overflows 64 bits. */
        volatile struct ukvm_puts p = { .data = (const char *)0x100000, .len = ~(size_t)0 - 0xfffff };
        ukvm_do_hypercall(UKVM_HYPERCALL_PUTS, &p);
    } else if (is(c, n, "struct-straddles-end")) {
        /* A 16-byte PUTS request whose last 8 bytes lie past the end of RAM. */
        ukvm_do_hypercall(UKVM_HYPERCALL_PUTS, (void *)(bi->mem_size - 8));
    } else if (is(c, n, "mmio-store8")) {
        uint64_t a = UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_PUTS);
        __asm__ __volatile__("strb wzr, [%0]" :: "r"(a) : "memory");
    } else if (is(c, n, "mmio-store16")) {
        uint64_t a = UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_PUTS);
        __asm__ __volatile__("strh wzr, [%0]" :: "r"(a) : "memory");
    } else if (is(c, n, "hypercall-unregistered")) {
        /* BLKINFO is in range, but no blk module is compiled in. */
        static volatile struct ukvm_blkinfo bi_req;
        ukvm_do_hypercall(UKVM_HYPERCALL_BLKINFO, &bi_req);
    } else if (is(c, n, "halt-cookie-past-end")) {
        /* The cookie must have UKVM_HALT_COOKIE_MAX bytes of guest memory. */
        volatile struct ukvm_halt h = { .cookie = (void *)(bi->mem_size - 16), .exit_status = 0 };
        ukvm_do_hypercall(UKVM_HYPERCALL_HALT, &h);
    } else if (is(c, n, "exit-256")) {
        volatile struct ukvm_halt h = { .cookie = 0, .exit_status = 256 };
        ukvm_do_hypercall(UKVM_HYPERCALL_HALT, &h);
    } else if (is(c, n, "exit-minus-1")) {
        volatile struct ukvm_halt h = { .cookie = 0, .exit_status = -1 };
        ukvm_do_hypercall(UKVM_HYPERCALL_HALT, &h);
    } else if (is(c, n, "stack-overflow")) {
        /* Run SP down through RAM into the unmapped zero page. */
        __asm__ __volatile__("1: str xzr, [sp, #-16]!\n\tb 1b" ::: "memory");
    } else if (is(c, n, "mmio-stp")) {
        /* A store pair gives KVM no syndrome to decode the access with. */
        uint64_t a = UKVM_HYPERCALL_ADDRESS(UKVM_HYPERCALL_PUTS);
        __asm__ __volatile__("stp xzr, xzr, [%0]" :: "r"(a) : "memory");
    } else if (is(c, n, "psci-off")) {
        /*
         * PSCI 0.2 SYSTEM_OFF through HVC. The vCPU is set up without
         * PSCI 0.2 (as upstream), so KVM answers NOT_SUPPORTED (-1)
         * itself and the monitor never sees it.
         */
        register uint64_t x0 __asm__("x0") = 0x84000008;
        __asm__ __volatile__("hvc #0" : "+r"(x0) :: "memory");
        rt_printf("hostile: hvc returned x0=0x%lx\n", (uint64_t)x0);
    } else if (is(c, n, "smc")) {
        /* KVM has no firmware behind SMC: it answers -1 itself. */
        register uint64_t x0 __asm__("x0") = 0x84000000;
        __asm__ __volatile__("smc #0" : "+r"(x0) :: "memory");
        rt_printf("hostile: smc returned x0=0x%lx\n", (uint64_t)x0);
    } else if (is(c, n, "exec-mmio")) {
        /* The MMIO window is execute-never. */
        ((void (*)(void))UKVM_HYPERCALL_MMIO_BASE)();
    } else if (is(c, n, "show-sctlr")) {
        /* Not hostile: shows the system control state the monitor set. */
        uint64_t v;
        __asm__ __volatile__("mrs %0, sctlr_el1" : "=r"(v));
        rt_printf("hostile: SCTLR_EL1=0x%lx\n", v);
        return 0;
    } else if (is(c, n, "wfi")) {
        /* Interrupts masked, no timer: the vCPU sleeps in KVM for good. */
        for (;;)
            __asm__ __volatile__("wfi" ::: "memory");
    } else if (is(c, n, "spin")) {
        for (;;)
            __asm__ __volatile__("" ::: "memory");
    } else {
        rt_fail("hostile: unknown case");
    }
    rt_puts("hostile: still running after the bad access\n");
    return 0;
}
