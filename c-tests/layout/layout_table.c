/* layout_table.c: fills a table from layout_list.h; compiled once with our headers and once with upstream's. */

/*
 * The including build defines LAYOUT_FN (layout_ours or layout_upstream)
 * and puts one header set first on the include path.
 */

#include <stddef.h>
#include <stdint.h>

#include "ukvm.h"
#include "ukvm_hv_kvm.h"
#if defined(__x86_64__)
#include "ukvm_gdb_x86_64.h"
#include "ukvm_cpu_x86_64.h"
#elif defined(__aarch64__)
#include "ukvm_gdb_aarch64.h"
#endif

#include "layout.h"

static long long ovf_u64(uint64_t a, uint64_t b)
{
    uint64_t r;

    return add_overflow(a, b, r) ? 1 : 0;
}

static long long sum_u64(uint64_t a, uint64_t b)
{
    uint64_t r = 0;

    (void)add_overflow(a, b, r);
    return (long long)r;
}

size_t LAYOUT_FN(struct layout_entry *out, size_t max)
{
    size_t n = 0;

#define PUT(text_, value_)                                \
    do {                                                  \
        if (n < max) {                                    \
            out[n].name = text_;                          \
            out[n].value = (long long)(value_);           \
        }                                                 \
        n++;                                              \
    } while (0);
#define SIZE(T) PUT("sizeof(" #T ")", sizeof(T))
#define OFF(T, f) PUT("offsetof(" #T ", " #f ")", offsetof(T, f))
#define VAL(e) PUT(#e, (e))
#define MACRO(name) PUT(#name, (name))
#define MACRO_MISSING(name) PUT(#name " (missing)", LAYOUT_MISSING)
#include "layout_list.h"
#include "macro_census.inc"
#undef PUT
    return n;
}
