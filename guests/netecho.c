/* netecho.c: answers ARP and ICMP echo for one IPv4 address (default 10.0.0.2). */
#include "rt.h"

#define ETH_HLEN 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800

static uint8_t frame[1518] __attribute__((aligned(16)));
static uint8_t mac[6];
static uint8_t ip[4] = { 10, 0, 0, 2 };

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void send(size_t len)
{
    volatile struct ukvm_netwrite w = { .data = frame, .len = len, .ret = 99 };
    ukvm_do_hypercall(UKVM_HYPERCALL_NETWRITE, &w);
    if (w.ret != 0)
        rt_fail("netecho: FAILED: netwrite returned %d", w.ret);
}

/* Turn the frame around: back to its sender, from us. */
static void reply_eth(void)
{
    memcpy(frame, frame + 6, 6);
    memcpy(frame + 6, mac, 6);
}

/* Returns 1 if the frame was an echo request we answered. */
static int handle(size_t len)
{
    if (len < ETH_HLEN)
        return 0;
    uint8_t *p = frame + ETH_HLEN;
    size_t plen = len - ETH_HLEN;
    uint16_t type = get16(frame + 12);

    if (type == ETH_ARP && plen >= 28 && get16(p + 6) == 1 /* request */
            && memcmp(p + 24, ip, 4) == 0) {
        put16(p + 6, 2);
        memcpy(p + 18, p + 8, 10);  /* target = sender (mac, ip) */
        memcpy(p + 8, mac, 6);
        memcpy(p + 14, ip, 4);
        reply_eth();
        send(ETH_HLEN + 28);
        return 0;
    }
    if (type == ETH_IP && plen >= 20 && (p[0] >> 4) == 4) {
        size_t ihl = (size_t)(p[0] & 15) * 4;
        size_t total = get16(p + 2);
        if (ihl < 20 || total > plen || total < ihl + 8 || p[9] != 1
                || memcmp(p + 16, ip, 4) != 0)
            return 0;
        uint8_t *icmp = p + ihl;
        if (icmp[0] != 8 /* echo request */)
            return 0;
        uint8_t tmp[4];
        memcpy(tmp, p + 12, 4);
        memcpy(p + 12, p + 16, 4);
        memcpy(p + 16, tmp, 4);
        icmp[0] = 0;
        put16(icmp + 2, 0);
        put16(icmp + 2, checksum(icmp, total - ihl));
        reply_eth();
        send(ETH_HLEN + total);
        return 1;
    }
    return 0;
}

int guest_main(struct ukvm_boot_info *bi)
{
    (void)bi;
    volatile struct ukvm_netinfo info;
    ukvm_do_hypercall(UKVM_HYPERCALL_NETINFO, &info);
    for (int i = 0; i < 6; i++)
        mac[i] = info.mac_address[i];
    uint64_t limit = rt_arg_u64("count", 0);
    rt_printf("netecho: mac %x:%x:%x:%x:%x:%x, answering 10.0.0.2",
              mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    if (limit)
        rt_printf(" until %lu echo requests\n", limit);
    else
        rt_puts(" until stopped\n");

    uint64_t answered = 0;
    while (limit == 0 || answered < limit) {
        volatile struct ukvm_poll pl = { .timeout_nsecs = 1000000000ULL, .ret = 0 };
        ukvm_do_hypercall(UKVM_HYPERCALL_POLL, &pl);
        if (pl.ret == 0)
            continue;
        for (;;) {
            volatile struct ukvm_netread r = { .data = frame, .len = sizeof frame, .ret = 0 };
            ukvm_do_hypercall(UKVM_HYPERCALL_NETREAD, &r);
            if (r.ret != 0)
                break;
            if (r.len > sizeof frame)
                rt_fail("netecho: FAILED: netread grew len to %lu", (uint64_t)r.len);
            answered += (uint64_t)handle(r.len);
        }
    }
    rt_printf("netecho: SUCCESS (answered %lu echo requests)\n", answered);
    return 0;
}
