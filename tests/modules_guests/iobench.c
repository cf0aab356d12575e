/* iobench.c: block throughput (MB/s) and network send rate (frames/s) as the guest sees them. */
#include "rt.h"

static uint8_t buf[65536] __attribute__((aligned(4096)));

int guest_main(struct ukvm_boot_info *bi)
{
    (void)bi;
    uint64_t req = rt_arg_u64("req", 65536);
    uint64_t mb = rt_arg_u64("mb", 64);
    uint64_t frames = rt_arg_u64("frames", 0);
    if (req > sizeof buf || req % 512)
        rt_fail("iobench: bad req");

    if (frames) {
        memset(buf, 0xff, 6);
        memset(buf + 6, 0x02, 6);
        buf[12] = 0x88;
        buf[13] = 0xb5;
        uint64_t t0 = rt_walltime(), bad = 0;
        for (uint64_t i = 0; i < frames; i++) {
            volatile struct ukvm_netwrite w = { .data = buf, .len = 60, .ret = 99 };
            ukvm_do_hypercall(UKVM_HYPERCALL_NETWRITE, &w);
            bad += w.ret != 0;
        }
        uint64_t ns = rt_walltime() - t0;
        rt_printf("iobench: net %lu frames/s (%lu frames, %lu refused)\n",
                  frames * 1000000000 / (ns ? ns : 1), frames, bad);
        return bad != 0;
    }

    volatile struct ukvm_blkinfo info = { 0 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKINFO, &info);
    uint64_t span = info.num_sectors * 512;
    uint64_t total = mb << 20, n = total / req;
    for (int pass = 0; pass < 2; pass++) {
        uint64_t t0 = rt_walltime();
        for (uint64_t i = 0; i < n; i++) {
            uint64_t off = (i * req) % (span - span % req);
            int ret;
            if (pass == 0) {
                volatile struct ukvm_blkwrite w = { .sector = off / 512, .data = buf, .len = req, .ret = 99 };
                ukvm_do_hypercall(UKVM_HYPERCALL_BLKWRITE, &w);
                ret = w.ret;
            } else {
                volatile struct ukvm_blkread r = { .sector = off / 512, .data = buf, .len = req, .ret = 99 };
                ukvm_do_hypercall(UKVM_HYPERCALL_BLKREAD, &r);
                ret = r.ret;
            }
            if (ret != 0)
                rt_fail("iobench: FAILED: request %lu returned %d", i, ret);
        }
        uint64_t ns = rt_walltime() - t0;
        rt_printf("iobench: blk %s %lu KiB/s (%lu x %lu bytes)\n", pass ? "read" : "write",
                  (total >> 10) * 1000000000 / (ns ? ns : 1), n, req);
    }
    return 0;
}
