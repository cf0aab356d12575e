/* hello.c: greets, checks the boot state the monitor promised, exits. */
#include "rt.h"

extern char _end[];

static uint64_t sysreg_sctlr(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, sctlr_el1" : "=r"(v));
    return v;
}

/* Uses the FP/SIMD unit: traps (vector 4) unless CPACR_EL1.FPEN allows it. */
static uint64_t fp_double(uint64_t x)
{
    uint64_t r;
    __asm__ __volatile__("fmov d0, %1\n\t"
                         "fadd d0, d0, d0\n\t"
                         "fmov %0, d0"
                         : "=r"(r) : "r"(x) : "d0");
    return r;
}

int guest_main(struct ukvm_boot_info *bi)
{
    uint64_t sp;
    __asm__ __volatile__("mov %0, sp" : "=r"(sp));

    rt_puts("Hello, World\n");
    if (strlen(bi->cmdline) <= 100)
        rt_printf("Command line is: '%s'\n", bi->cmdline);
    rt_printf("mem_size=0x%lx kernel_end=0x%lx cmdline=%p counter_freq=%lu\n",
              bi->mem_size, bi->kernel_end, bi->cmdline, bi->cpu.tsc_freq);

    if ((uint64_t)bi != 0x1000)
        rt_fail("hello: boot info at %p, expected 0x1000", bi);
    if ((uint64_t)bi->cmdline != 0xc000)
        rt_fail("hello: command line at %p, expected 0xc000", bi->cmdline);
    if (bi->mem_size < 0x200000 || bi->mem_size % 0x200000)
        rt_fail("hello: memory size 0x%lx is not whole 2 MiB blocks", bi->mem_size);
    if (bi->kernel_end < (uint64_t)_end || bi->kernel_end > bi->mem_size)
        rt_fail("hello: kernel_end 0x%lx, image ends at %p", bi->kernel_end, _end);
    if (bi->cpu.tsc_freq == 0)
        rt_fail("hello: counter frequency is 0");
    if (sp > bi->mem_size || sp < bi->mem_size - 0x10000)
        rt_fail("hello: stack at 0x%lx, not just below 0x%lx", sp, bi->mem_size);
    uint64_t sctlr = sysreg_sctlr();
    if ((sctlr & 0x1005) != 0x1005)
        rt_fail("hello: SCTLR_EL1=0x%lx: MMU or caches off", sctlr);
    uint64_t el, daif;
    __asm__ __volatile__("mrs %0, CurrentEL" : "=r"(el));
    __asm__ __volatile__("mrs %0, daif" : "=r"(daif));
    if (el != (1 << 2) || daif != 0x3c0)
        rt_fail("hello: CurrentEL=0x%lx DAIF=0x%lx, expected EL1 with D, A, I, F masked", el, daif);
    /* 1.5 doubled is 3.0 */
    if (fp_double(0x3ff8000000000000ULL) != 0x4008000000000000ULL)
        rt_fail("hello: FP arithmetic wrong");
    uint64_t t0 = rt_walltime(), c0 = rt_counter();
    if (t0 == 0 || rt_walltime() < t0 || rt_counter() < c0)
        rt_fail("hello: clocks not running");

    size_t cmdlen = strlen(bi->cmdline);
    if (cmdlen > 100)
        rt_printf("hello: command line of %lu characters\n", (uint64_t)cmdlen);
    int status = (int)rt_arg_u64("exit", 0);
    rt_printf("hello: SUCCESS (exit status %d)\n", status);
    return status;
}
