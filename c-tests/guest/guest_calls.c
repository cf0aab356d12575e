/* guest_calls.c: the guest side of ukvm_guest.h, one function per hypercall, compiled with each header set to compare code. */

#include "ukvm_guest.h"

#define CALL(fn, nr, type) \
    void fn(volatile struct type *arg); \
    void fn(volatile struct type *arg) { ukvm_do_hypercall(nr, arg); }

CALL(guest_walltime, UKVM_HYPERCALL_WALLTIME, ukvm_walltime)
CALL(guest_puts, UKVM_HYPERCALL_PUTS, ukvm_puts)
CALL(guest_poll, UKVM_HYPERCALL_POLL, ukvm_poll)
CALL(guest_blkinfo, UKVM_HYPERCALL_BLKINFO, ukvm_blkinfo)
CALL(guest_blkwrite, UKVM_HYPERCALL_BLKWRITE, ukvm_blkwrite)
CALL(guest_blkread, UKVM_HYPERCALL_BLKREAD, ukvm_blkread)
CALL(guest_netinfo, UKVM_HYPERCALL_NETINFO, ukvm_netinfo)
CALL(guest_netwrite, UKVM_HYPERCALL_NETWRITE, ukvm_netwrite)
CALL(guest_netread, UKVM_HYPERCALL_NETREAD, ukvm_netread)
CALL(guest_halt, UKVM_HYPERCALL_HALT, ukvm_halt)

/* Guest-side pointer fields are real pointers: touch each one. */
uint64_t guest_fields(struct ukvm_boot_info *bi, struct ukvm_puts *p,
        struct ukvm_netread *r, struct ukvm_halt *h);
uint64_t guest_fields(struct ukvm_boot_info *bi, struct ukvm_puts *p,
        struct ukvm_netread *r, struct ukvm_halt *h)
{
    return bi->mem_size + bi->kernel_end + (uint64_t)bi->cmdline[0]
        + bi->cpu.tsc_freq + (uint64_t)p->data[0] + p->len
        + (uint64_t)((char *)r->data)[0] + r->len + (uint64_t)r->ret
        + (uint64_t)(h->cookie != 0) + (uint64_t)h->exit_status
        + UKVM_CMDLINE_SIZE + UKVM_HALT_COOKIE_MAX;
}
