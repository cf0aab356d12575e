/* ukvm_guest.h: the hypercall ABI shared by a Solo5 guest and the ukvm monitor. */

/*
 * Both sides include this file. The monitor defines UKVM_HOST first: guest
 * pointers inside the shared structures then become ukvm_gpa_t (a plain
 * guest-physical address that the monitor must translate and check before
 * use), and the guest-side hypercall stub is left out.
 *
 * Only C99 headers may be included from here: the guest has no libc.
 */

#ifndef UKVM_GUEST_H
#define UKVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

/* The part of struct ukvm_boot_info that depends on the architecture. */
struct ukvm_cpu_boot_info {
    uint64_t tsc_freq;                  /* TSC ticks per second (x86_64) */
};

#if defined(__x86_64__)

/*
 * x86_64: hypercall n is an OUT of a 32-bit value to I/O port
 * UKVM_HYPERCALL_PIO_BASE + n; the value is the guest-physical address of
 * the hypercall's argument structure.
 */
#define UKVM_HYPERCALL_PIO_BASE 0x500

#elif defined(__aarch64__)

/*
 * AArch64: hypercall n is a 32-bit store of the argument's guest-physical
 * address to the MMIO address UKVM_HYPERCALL_ADDRESS(n). The MMIO window
 * starts at 4 GiB, above all guest memory, and each hypercall owns an
 * 8-byte slot there because device memory must be accessed aligned.
 */
#define UKVM_HYPERCALL_MMIO_BASE    (0x100000000UL)
#define UKVM_HYPERCALL_ADDRESS(x)   (UKVM_HYPERCALL_MMIO_BASE + ((x) << 3))
#define UKVM_HYPERCALL_NR(x)        (((x) - UKVM_HYPERCALL_MMIO_BASE) >> 3)

#else
#error "ukvm_guest.h: only x86_64 and aarch64 are supported"
#endif

#ifdef UKVM_HOST

/* A guest-physical address, as the monitor sees it: not a host pointer. */
typedef uint64_t ukvm_gpa_t;

/* Monitor side: a guest pointer field holds a guest-physical address. */
#define UKVM_GUEST_PTR(T) ukvm_gpa_t

#else /* guest side */

/* Guest side: a guest pointer field is an ordinary pointer of type T. */
#define UKVM_GUEST_PTR(T) T

/*
 * Issue hypercall n with argument structure arg. Only the low 32 bits of
 * the address reach the monitor, so arg must lie below 4 GiB (checked when
 * the includer has <assert.h>). The "memory" clobber makes the compiler
 * write out *arg before the exit and re-read it after; no hardware barrier
 * is needed because the vCPU stops while the monitor runs.
 */
static inline void ukvm_do_hypercall(int n, volatile void *arg)
{
#ifdef assert
    assert((uint64_t)arg <= UINT32_MAX);
#endif
#if defined(__x86_64__)
    __asm__ __volatile__("outl %0, %1"
            :
            : "a" ((uint32_t)(uint64_t)arg),
              "d" ((uint16_t)(UKVM_HYPERCALL_PIO_BASE + n))
            : "memory");
#else
    __asm__ __volatile__("str %w0, [%1]"
            :
            : "rZ" ((uint32_t)(uint64_t)arg),
              "r" ((uint64_t)UKVM_HYPERCALL_ADDRESS(n))
            : "memory");
#endif
}

#endif /* UKVM_HOST */

/* Handed by the monitor to the guest's entry point, as its only argument. */
struct ukvm_boot_info {
    uint64_t mem_size;                  /* bytes of guest memory */
    uint64_t kernel_end;                /* first address past the kernel image */
    UKVM_GUEST_PTR(char *) cmdline;     /* NUL-terminated command line */
    struct ukvm_cpu_boot_info cpu;      /* architecture-specific part */
};

/* Room for the guest command line, terminating NUL included. */
#define UKVM_CMDLINE_SIZE 8192

/*
 * Every hypercall number any module may serve. Which of them a given
 * monitor answers depends on the modules it was built with. Number 0 is
 * reserved and never valid.
 */
enum ukvm_hypercall {
    UKVM_HYPERCALL_WALLTIME = 1,
    UKVM_HYPERCALL_PUTS = 2,
    UKVM_HYPERCALL_POLL = 3,
    UKVM_HYPERCALL_BLKINFO = 4,
    UKVM_HYPERCALL_BLKWRITE = 5,
    UKVM_HYPERCALL_BLKREAD = 6,
    UKVM_HYPERCALL_NETINFO = 7,
    UKVM_HYPERCALL_NETWRITE = 8,
    UKVM_HYPERCALL_NETREAD = 9,
    UKVM_HYPERCALL_HALT = 10,
    UKVM_HYPERCALL_MAX = 11
};

/*
 * Argument structures, one per hypercall. "in" fields are written by the
 * guest, "out" fields by the monitor.
 */

/* WALLTIME: wall-clock time. */
struct ukvm_walltime {
    uint64_t nsecs;                     /* out: nanoseconds since the epoch */
};

/* PUTS: write len bytes at data to the console. */
struct ukvm_puts {
    UKVM_GUEST_PTR(const char *) data;  /* in */
    size_t len;                         /* in */
};

/* BLKINFO: geometry of the block device. */
struct ukvm_blkinfo {
    size_t sector_size;                 /* out: bytes per sector */
    size_t num_sectors;                 /* out */
    int rw;                             /* out: non-zero when writable */
};

/* BLKWRITE: write len bytes at data starting at sector. */
struct ukvm_blkwrite {
    size_t sector;                      /* in */
    UKVM_GUEST_PTR(const void *) data;  /* in */
    size_t len;                         /* in */
    int ret;                            /* out: 0 on success, -1 on error */
};

/* BLKREAD: read len bytes starting at sector into data. */
struct ukvm_blkread {
    size_t sector;                      /* in */
    UKVM_GUEST_PTR(void *) data;        /* in */
    size_t len;                         /* in: bytes wanted; out: bytes read */
    int ret;                            /* out: 0 on success, -1 on error */
};

/* NETINFO: the network interface's MAC address. */
struct ukvm_netinfo {
    uint8_t mac_address[6];             /* out */
};

/* NETWRITE: send one frame of len bytes at data. */
struct ukvm_netwrite {
    UKVM_GUEST_PTR(const void *) data;  /* in */
    size_t len;                         /* in */
    int ret;                            /* out: 0 on success, -1 on error */
};

/* NETREAD: receive one frame into data, at most len bytes. */
struct ukvm_netread {
    UKVM_GUEST_PTR(void *) data;        /* in */
    size_t len;                         /* in: buffer size; out: frame size */
    int ret;                            /* out: 0 on success, -1 if none */
};

/*
 * POLL: sleep until timeout_nsecs have passed or a registered file
 * descriptor becomes readable, whichever comes first. ret is 1 when input
 * is waiting, 0 on timeout.
 */
struct ukvm_poll {
    uint64_t timeout_nsecs;             /* in */
    int ret;                            /* out */
};

/*
 * HALT: stop the guest; exit_status becomes the monitor's exit status.
 * cookie, when not 0, points at UKVM_HALT_COOKIE_MAX bytes of guest memory
 * that the guest filled for the halt hooks (for example a trap frame that
 * the dumpcore module writes into the core file).
 */
#define UKVM_HALT_COOKIE_MAX 512

struct ukvm_halt {
    UKVM_GUEST_PTR(void *) cookie;      /* in */
    int exit_status;                    /* in */
};

#endif /* UKVM_GUEST_H */
