/* net-drops-frames: a deliberately broken monitor for `make test-harness`.
 * Every frame the guest sends to its tap device is dropped (the write
 * reports success), so the guest never answers a ping.
 * Linked with: -Wl,--wrap=write
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

ssize_t __real_write(int fd, const void *buf, size_t count);

/* /dev/net/tun is character device 10:200. */
static int is_tap(int fd)
{
    struct stat st;
    return fd > 2 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
           major(st.st_rdev) == 10 && minor(st.st_rdev) == 200;
}

ssize_t __wrap_write(int fd, const void *buf, size_t count)
{
    if (is_tap(fd))
        return (ssize_t)count;
    return __real_write(fd, buf, count);
}
