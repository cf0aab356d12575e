/* blk.c: block device checker: writes patterns, reads them back, probes bounds. */
#include "rt.h"

#define SECTOR 512
#define MULTI 4

static uint8_t buf[SECTOR * MULTI] __attribute__((aligned(16)));
static uint8_t back[SECTOR * MULTI] __attribute__((aligned(16)));

static int blk_write(uint64_t sector, const void *data, size_t len)
{
    volatile struct ukvm_blkwrite w = { .sector = sector, .data = data, .len = len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKWRITE, &w);
    return w.ret;
}

static int blk_read(uint64_t sector, void *data, size_t len)
{
    volatile struct ukvm_blkread r = { .sector = sector, .data = data, .len = len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKREAD, &r);
    return r.ret;
}

/* Sector contents: a label, then bytes that depend on sector and offset. */
static void fill(uint8_t *p, uint64_t sector)
{
    for (size_t i = 0; i < SECTOR; i++)
        p[i] = (uint8_t)(sector * 7 + i * 13 + 1);
    const char *label = "ukvm-blk sector ";
    size_t n = strlen(label);
    memcpy(p, label, n);
    uint64_t s = sector;
    char digits[20];
    int d = 0;
    do {
        digits[d++] = (char)('0' + s % 10);
        s /= 10;
    } while (s);
    while (d)
        p[n++] = digits[--d];
    p[n] = '\n';
}

int guest_main(struct ukvm_boot_info *bi)
{
    (void)bi;
    volatile struct ukvm_blkinfo info = { 0 };
    ukvm_do_hypercall(UKVM_HYPERCALL_BLKINFO, &info);
    uint64_t n = info.num_sectors;
    rt_printf("blk: sector_size=%lu num_sectors=%lu rw=%d\n",
              (uint64_t)info.sector_size, n, info.rw);
    if (info.sector_size != SECTOR || n < 16 || !info.rw)
        rt_fail("blk: FAILED: unexpected device info");

    int verify_only = rt_arg_u64("verify", 0) != 0;
    uint64_t singles[] = { 0, 1, n / 2, n - 1 };

    if (!verify_only) {
        for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
            fill(buf, singles[i]);
            if (blk_write(singles[i], buf, SECTOR) != 0)
                rt_fail("blk: FAILED: write of sector %lu", singles[i]);
        }
        for (int i = 0; i < MULTI; i++)
            fill(buf + i * SECTOR, 8 + i);
        if (blk_write(8, buf, sizeof buf) != 0)
            rt_fail("blk: FAILED: %d-sector write at 8", MULTI);
    }

    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
        fill(buf, singles[i]);
        memset(back, 0, SECTOR);
        if (blk_read(singles[i], back, SECTOR) != 0)
            rt_fail("blk: FAILED: read of sector %lu", singles[i]);
        if (memcmp(buf, back, SECTOR) != 0)
            rt_fail("blk: FAILED: sector %lu reads back different data", singles[i]);
    }
    for (int i = 0; i < MULTI; i++)
        fill(buf + i * SECTOR, 8 + i);
    memset(back, 0, sizeof back);
    if (blk_read(8, back, sizeof back) != 0 || memcmp(buf, back, sizeof back) != 0)
        rt_fail("blk: FAILED: %d-sector read at 8", MULTI);

    /* Out of range: refused with ret -1, nothing else happens. */
    if (blk_write(n, buf, SECTOR) != -1 || blk_read(n, back, SECTOR) != -1)
        rt_fail("blk: FAILED: access at sector %lu (one past the end) accepted", n);
    if (blk_read(n - 1, back, 2 * SECTOR) != -1)
        rt_fail("blk: FAILED: read running past the end accepted");
    if (blk_write(n - 1, buf, 2 * SECTOR) != -1)
        rt_fail("blk: FAILED: write running past the end accepted");

    rt_printf("blk: SUCCESS (%s)\n", verify_only ? "verified earlier writes" : "wrote and read back");
    return 0;
}
