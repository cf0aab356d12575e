/* pingflood: flood ICMP echo requests at an IPv4 address, like `ping -f -q -c N`. */
/*
 * A new request goes out as soon as a reply comes back, or after 10 ms
 * without one, so the rate follows the peer. Needs root (raw socket).
 *
 *   pingflood [-c COUNT] [-w SECONDS] ADDRESS
 *
 * Prints one summary line. Exit status: 0 when every request got its reply,
 * 1 when some were lost or the deadline passed, 2 on bad usage or error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t checksum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

static int usage(void)
{
    fprintf(stderr, "usage: pingflood [-c COUNT] [-w SECONDS] ADDRESS\n");
    return 2;
}

int main(int argc, char **argv)
{
    unsigned long count = 100000;
    double deadline_s = 0;
    int opt;

    while ((opt = getopt(argc, argv, "c:w:")) != -1) {
        char *end;
        switch (opt) {
        case 'c':
            count = strtoul(optarg, &end, 10);
            if (*end || count == 0)
                return usage();
            break;
        case 'w':
            deadline_s = strtod(optarg, &end);
            if (*end || deadline_s <= 0)
                return usage();
            break;
        default:
            return usage();
        }
    }
    if (optind != argc - 1)
        return usage();

    struct sockaddr_in to = { .sin_family = AF_INET };
    if (inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1) {
        fprintf(stderr, "pingflood: not an IPv4 address: %s\n", argv[optind]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd < 0) {
        fprintf(stderr, "pingflood: raw socket: %s\n", strerror(errno));
        return 2;
    }

    uint16_t ident = (uint16_t)getpid();
    unsigned long sent = 0, received = 0;
    double start = now();
    double stop = deadline_s > 0 ? start + deadline_s : 0;
    double last_send = 0;
    int answered = 1; /* a reply came in since the last request went out */

    for (;;) {
        double t = now();
        if (stop && t >= stop)
            break;
        if (received >= count)
            break;
        /* Flood pacing: send on each reply, or when 10 ms passed without one. */
        if (sent < count && (answered || t - last_send >= 0.010)) {
            struct {
                struct icmphdr h;
                uint8_t data[56];
            } req;
            memset(&req, 0, sizeof req);
            req.h.type = ICMP_ECHO;
            req.h.un.echo.id = htons(ident);
            req.h.un.echo.sequence = htons((uint16_t)sent);
            for (size_t i = 0; i < sizeof req.data; i++)
                req.data[i] = (uint8_t)i;
            req.h.checksum = checksum(&req, sizeof req);
            if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&to,
                       sizeof to) < 0) {
                if (errno != ENOBUFS && errno != EAGAIN) {
                    fprintf(stderr, "pingflood: sendto: %s\n", strerror(errno));
                    return 2;
                }
            } else {
                sent++;
            }
            last_send = t;
            answered = 0;
        }
        if (sent >= count && t - last_send > 2.0)
            break; /* the late replies have had their chance */

        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        uint8_t buf[1500];
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
            struct iphdr *ip = (struct iphdr *)buf;
            size_t hl = (size_t)ip->ihl * 4;
            if ((size_t)n < hl + sizeof(struct icmphdr))
                continue;
            struct icmphdr *rep = (struct icmphdr *)(buf + hl);
            if (ip->saddr == to.sin_addr.s_addr && rep->type == ICMP_ECHOREPLY &&
                ntohs(rep->un.echo.id) == ident) {
                received++;
                answered = 1;
            }
        }
    }

    double secs = now() - start;
    printf("pingflood: %s: %lu transmitted, %lu received, %.1f s\n",
           argv[optind], sent, received, secs);
    return received == count ? 0 : 1;
}
