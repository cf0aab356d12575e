/* idle.c: an idle unikernel for the PSS and density benchmarks: says "idle: ready", then sleeps in POLL. */
#include "rt.h"

int guest_main(struct ukvm_boot_info *bi)
{
    (void)bi;
    rt_puts("idle: ready\n");
    for (;;) {
        /* One hour per call; the benchmark kills the instance long before. */
        volatile struct ukvm_poll p = { .timeout_nsecs = 3600ULL * 1000000000ULL, .ret = 0 };
        ukvm_do_hypercall(UKVM_HYPERCALL_POLL, &p);
    }
    return 0;
}
