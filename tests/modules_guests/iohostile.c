/* iohostile.c: block and network requests that make upstream's C modules assert or crash, one per case=NAME. */
#include "rt.h"

static uint8_t buf[4096] __attribute__((aligned(16)));

static int is(const char *name)
{
    const char *v;
    size_t n;
    return rt_arg("case", &v, &n) && n == strlen(name) && memcmp(v, name, n) == 0;
}

static int blk_read(uint64_t sector, void *data, size_t len)
{
    volatile struct ukvm_blkread r = { .sector = sector, .data = data, .len = len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKREAD, &r);
    return r.ret;
}

static int blk_write(uint64_t sector, const void *data, size_t len)
{
    volatile struct ukvm_blkwrite w = { .sector = sector, .data = data, .len = len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKWRITE, &w);
    return w.ret;
}

static int net_write(const void *data, size_t len)
{
    volatile struct ukvm_netwrite w = { .data = data, .len = len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_NETWRITE, &w);
    return w.ret;
}

static int net_read(void *data, size_t *len)
{
    volatile struct ukvm_netread r = { .data = data, .len = *len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_NETREAD, &r);
    *len = r.len;
    return r.ret;
}

static uint64_t sectors(void)
{
    volatile struct ukvm_blkinfo info = { 0 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKINFO, &info);
    return info.num_sectors;
}

static int poll_ms(uint64_t ms)
{
    volatile struct ukvm_poll p = { .timeout_nsecs = ms * 1000000, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_POLL, &p);
    return p.ret;
}

/* The guest's own text: mapped read-only for the monitor too. */
#define TEXT ((void *)guest_main)

int guest_main(struct ukvm_boot_info *bi)
{
    (void)bi;
    uint8_t *text = (uint8_t *)TEXT;

    if (is("blk-len-over-ssize-max")) {
        rt_printf("ret=%d\n", blk_read(0, buf, (size_t)1 << 63));
        rt_printf("ret=%d\n", blk_write(0, buf, (size_t)-1));
    } else if (is("blk-sector-wraps")) {
        rt_printf("ret=%d\n", blk_read((uint64_t)-1 / 512 + 1, buf, 512));
        rt_printf("ret=%d\n", blk_write((uint64_t)-1, buf, 512));
    } else if (is("blk-read-into-text")) {
        uint8_t before = text[0];
        rt_printf("ret=%d\n", blk_read(0, TEXT, 512));
        rt_printf("text %s\n", text[0] == before ? "unchanged" : "CHANGED");
    } else if (is("blk-write-from-text")) {
        rt_printf("ret=%d\n", blk_write(0, TEXT, 512));
    } else if (is("blk-request-in-text")) {
        ukvm_do_hypercall(UKVM_HYPERCALL_BLKINFO, TEXT);
        rt_printf("survived\n");
    } else if (is("blk-data-outside-memory")) {
        rt_printf("ret=%d\n", blk_read(0, (void *)0xfffff000UL, 512));
    } else if (is("net-13-byte-frame")) {
        memset(buf, 0xff, 13);
        rt_printf("ret=%d\n", net_write(buf, 13));
        rt_printf("ret=%d\n", net_write(buf, 0));
    } else if (is("net-read-into-text")) {
        size_t len = 1514;
        rt_printf("ret=%d\n", net_read(TEXT, &len));
    } else if (is("net-request-in-text")) {
        ukvm_do_hypercall(UKVM_HYPERCALL_NETREAD, TEXT);
        rt_printf("survived\n");
    } else if (is("net-nothing-waiting")) {
        size_t len = sizeof buf;
        rt_printf("ret=%d\n", net_read(buf, &len));
    } else if (is("blk-read-loop")) {
        /* Read the last sectors until the disk fails under us. */
        uint64_t n = sectors(), ok = 0;
        rt_printf("looping over %lu sectors\n", n);
        for (;;) {
            if (blk_read(n - 8, buf, 4096) != 0)
                break;
            ok++;
            if (ok % 64 == 0)
                poll_ms(1);
        }
        rt_printf("read failed after %lu good reads\n", ok);
        rt_printf("first sector still readable: ret=%d\n", blk_read(0, buf, 512));
    } else if (is("blk-fill")) {
        /* Write every sector in 4 KiB requests until the host refuses. */
        uint64_t n = sectors(), s;
        memset(buf, 0xab, sizeof buf);
        for (s = 0; s + 8 <= n; s += 8)
            if (blk_write(s, buf, 4096) != 0)
                break;
        rt_printf("wrote %lu of %lu sectors, then ret=-1\n", s, n);
    } else if (is("io-forever")) {
        /* Block writes and reads with no end: for SIGTERM. */
        rt_printf("io-forever running\n");
        for (uint64_t i = 0;; i++) {
            blk_write(i % 64 * 8, buf, 4096);
            blk_read(i % 64 * 8, buf, 4096);
        }
    } else if (is("net-send-loop")) {
        /* A frame every 5 ms; count the refusals; for down/deleted taps. */
        uint64_t ms = rt_arg_u64("ms", 4000), ok = 0, bad = 0, got = 0;
        uint64_t end = rt_walltime() + ms * 1000000;
        memset(buf, 0xff, 6);
        memset(buf + 6, 0x02, 6);
        buf[12] = 0x88;
        buf[13] = 0xb5;
        rt_printf("net-send-loop running\n");
        while (rt_walltime() < end) {
            if (net_write(buf, 60) == 0)
                ok++;
            else
                bad++;
            if (poll_ms(5) > 0) {
                size_t len = sizeof buf;
                if (net_read(buf + 2048, &len) == 0)
                    got++;
            }
        }
        rt_printf("sent=%lu refused=%lu received=%lu\n", ok, bad, got);
    } else {
        rt_fail("iohostile: unknown case");
    }
    return 0;
}
