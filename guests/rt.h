/* rt.h: the tiny runtime our test guests share (hypercalls, output, args). */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ukvm_guest.h"

/* Each guest provides this; its return value is the exit status. */
int guest_main(struct ukvm_boot_info *bi);

extern struct ukvm_boot_info *rt_bi;

/* Output through the PUTS hypercall. */
void rt_write(const char *s, size_t len);
void rt_puts(const char *s);
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Leave through the HALT hypercall. */
void rt_halt(int status) __attribute__((noreturn));

/* Fail: print "<what>: FAILED" style message and halt with status 1. */
void rt_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Wall-clock time in ns from the WALLTIME hypercall. */
uint64_t rt_walltime(void);
/* The virtual counter (CNTVCT_EL0) and its frequency from boot info. */
uint64_t rt_counter(void);

/*
 * Value of "key=value" on the command line: returns 1 and sets *val and *len
 * when present.
 */
int rt_arg(const char *key, const char **val, size_t *len);
uint64_t rt_arg_u64(const char *key, uint64_t dflt);

/* Freestanding basics (the compiler may call these itself). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
