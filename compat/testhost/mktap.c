/* mktap: create (or with -d, delete) a persistent tap interface inside a test host. */
/*
 * busybox can bring an interface up and give it an address, but it cannot
 * create a tap device that outlives the process that opened /dev/net/tun.
 * A monitor started later opens the same name with TUNSETIFF and gets it.
 *
 *   mktap NAME      create tap NAME (no packet info header), persistent
 *   mktap -d NAME   drop the persistent flag, which removes an unused tap
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr, "usage: mktap [-d] NAME\n");
    return 2;
}

int main(int argc, char **argv)
{
    int persist = 1;
    const char *name;

    if (argc == 3 && strcmp(argv[1], "-d") == 0) {
        persist = 0;
        name = argv[2];
    } else if (argc == 2 && argv[1][0] != '-') {
        name = argv[1];
    } else {
        return usage();
    }
    if (strlen(name) >= IFNAMSIZ) {
        fprintf(stderr, "mktap: interface name too long: %s\n", name);
        return 2;
    }

    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "mktap: /dev/net/tun: %s (is tun.ko loaded?)\n",
                strerror(errno));
        return 1;
    }

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "mktap: TUNSETIFF %s: %s\n", name, strerror(errno));
        return 1;
    }
    if (ioctl(fd, TUNSETPERSIST, persist) < 0) {
        fprintf(stderr, "mktap: TUNSETPERSIST %s: %s\n", name, strerror(errno));
        return 1;
    }
    close(fd);
    return 0;
}
