/* hcbench.c: hypercall throughput: times n round trips to the monitor. */
#include "rt.h"

int guest_main(struct ukvm_boot_info *bi)
{
    uint64_t n = rt_arg_u64("n", 100000);
    uint64_t freq = bi->cpu.tsc_freq;
    if (n == 0 || freq == 0)
        rt_fail("hcbench: need n > 0 and a counter frequency");

    uint64_t w0 = rt_walltime();
    uint64_t c0 = rt_counter();
    for (uint64_t i = 0; i < n; i++)
        (void)rt_walltime();
    uint64_t c1 = rt_counter();
    uint64_t w1 = rt_walltime();

    uint64_t ns = (c1 - c0) * (uint64_t)1000000000 / freq;
    uint64_t wall_ns = w1 - w0;
    if (ns == 0 || wall_ns == 0)
        rt_fail("hcbench: no time passed");
    rt_printf("hcbench: %lu hypercalls in %lu us: %lu ns/call, %lu calls/s "
              "(walltime says %lu us)\n",
              n, ns / 1000, ns / n, n * (uint64_t)1000000000 / ns, wall_ns / 1000);
    rt_puts("hcbench: SUCCESS\n");
    return 0;
}
