/* rt.c: runtime of our test guests: start-up, output, halt, arguments. */
#include "rt.h"

struct ukvm_boot_info *rt_bi;

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    if (p < q) {
        while (n--)
            *p++ = *q++;
    } else {
        while (n--)
            p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void rt_write(const char *s, size_t len)
{
    volatile struct ukvm_puts p = { .data = s, .len = len };
    ukvm_do_hypercall(UKVM_HYPERCALL_PUTS, &p);
}

void rt_puts(const char *s)
{
    rt_write(s, strlen(s));
}

void rt_halt(int status)
{
    volatile struct ukvm_halt h = { .cookie = 0, .exit_status = status };
    ukvm_do_hypercall(UKVM_HYPERCALL_HALT, &h);
    for (;;)
        __asm__ __volatile__("wfi");
}

uint64_t rt_walltime(void)
{
    volatile struct ukvm_walltime t = { 0 };
    ukvm_do_hypercall(UKVM_HYPERCALL_WALLTIME, &t);
    return t.nsecs;
}

uint64_t rt_counter(void)
{
    uint64_t v;
    __asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
    return v;
}

/* printf with %s %c %d %u %x %p, the l/ll/z length modifiers and %%. */
struct buf {
    char b[256];
    size_t n;
};

static void put(struct buf *o, char c)
{
    if (o->n == sizeof o->b) {
        rt_write(o->b, o->n);
        o->n = 0;
    }
    o->b[o->n++] = c;
}

static void put_num(struct buf *o, uint64_t v, unsigned base, int neg)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        put(o, '-');
    while (i)
        put(o, tmp[--i]);
}

static void vformat(struct buf *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(o, *fmt);
            continue;
        }
        int longs = 0;
        fmt++;
        while (*fmt == 'l' || *fmt == 'z') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s)
                put(o, *s++);
            break;
        }
        case 'c':
            put(o, (char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0);
            break;
        }
        case 'u':
            put_num(o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0);
            break;
        case 'x':
            put_num(o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0);
            break;
        case 'p':
            put(o, '0');
            put(o, 'x');
            put_num(o, (uint64_t)va_arg(ap, void *), 16, 0);
            break;
        case '%':
            put(o, '%');
            break;
        default:
            put(o, '?');
            break;
        }
    }
}

void rt_printf(const char *fmt, ...)
{
    struct buf o;
    va_list ap;
    o.n = 0;
    va_start(ap, fmt);
    vformat(&o, fmt, ap);
    va_end(ap);
    rt_write(o.b, o.n);
}

void rt_fail(const char *fmt, ...)
{
    struct buf o;
    va_list ap;
    o.n = 0;
    va_start(ap, fmt);
    vformat(&o, fmt, ap);
    va_end(ap);
    put(&o, '\n');
    rt_write(o.b, o.n);
    rt_halt(1);
}

int rt_arg(const char *key, const char **val, size_t *len)
{
    const char *c = rt_bi->cmdline;
    size_t klen = strlen(key);
    while (*c) {
        while (*c == ' ')
            c++;
        const char *tok = c;
        while (*c && *c != ' ')
            c++;
        if ((size_t)(c - tok) > klen && memcmp(tok, key, klen) == 0
                && tok[klen] == '=') {
            *val = tok + klen + 1;
            *len = (size_t)(c - *val);
            return 1;
        }
    }
    return 0;
}

uint64_t rt_arg_u64(const char *key, uint64_t dflt)
{
    const char *v;
    size_t n;
    uint64_t r = 0;
    if (!rt_arg(key, &v, &n) || n == 0)
        return dflt;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            rt_fail("bad number for %s", key);
        r = r * 10 + (uint64_t)(v[i] - '0');
    }
    return r;
}

/* Called from start.S with the boot info; never returns. */
void rt_start(struct ukvm_boot_info *bi) __attribute__((noreturn));
void rt_start(struct ukvm_boot_info *bi)
{
    rt_bi = bi;
    rt_halt(guest_main(bi));
}

/* Called from the vector table: any exception ends the guest (status 255). */
void rt_trap(uint64_t slot, uint64_t esr, uint64_t elr, uint64_t far)
    __attribute__((noreturn));
void rt_trap(uint64_t slot, uint64_t esr, uint64_t elr, uint64_t far)
{
    rt_printf("trap: vector=%lu esr=0x%lx elr=0x%lx far=0x%lx\n",
              slot, esr, elr, far);
    rt_halt(255);
}
