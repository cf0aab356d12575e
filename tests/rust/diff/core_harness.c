/*
 * Drives the core API directly and prints what it sees; built once with
 * upstream's ukvm_core.c and once with our libukvm.so, and the outputs
 * compared (tests/rust/diff-upstream.sh). One case per run: argv[1].
 */

#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ukvm.h"

#define MEM_SIZE (1024 * 1024)

static struct ukvm_hv hv;

static void hc(struct ukvm_hv *h, ukvm_gpa_t gpa)
{
    (void)h;
    (void)gpa;
}

static int vx(struct ukvm_hv *h)
{
    (void)h;
    return -1;
}

#define HOOK(n)                                                          \
    static void hook_##n(struct ukvm_hv *h, int status, void *cookie)    \
    {                                                                    \
        printf("hook %s status=%d cookie=%s0x%lx\n", #n, status,         \
               cookie ? "mem+" : "NULL+",                               \
               cookie ? (unsigned long)((uint8_t *)cookie - h->mem) : 0UL); \
    }
HOOK(a)
HOOK(b)
HOOK(c)

static void put_halt(ukvm_gpa_t at, ukvm_gpa_t cookie, int status)
{
    struct ukvm_halt t = { .cookie = cookie, .exit_status = status };
    memcpy(hv.mem + at, &t, sizeof t);
}

static void case_register(void)
{
    int nrs[] = { 1, 1, 0, UKVM_HYPERCALL_HALT, UKVM_HYPERCALL_MAX - 1,
                  UKVM_HYPERCALL_MAX, UKVM_HYPERCALL_MAX + 1, INT_MAX };
    for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++)
        printf("register_hypercall(%d) = %d\n", nrs[i],
               ukvm_core_register_hypercall(nrs[i], hc));
    for (int i = 0; i < UKVM_HYPERCALL_MAX; i++)
        printf("slot %d %s\n", i, ukvm_core_hypercalls[i] ? "set" : "empty");
    for (int i = 0; i < 9; i++)
        printf("register_halt_hook #%d = %d\n", i, ukvm_core_register_halt_hook(hook_a));
    for (int i = 0; i < 3; i++)
        printf("register_vmexit #%d = %d\n", i, ukvm_core_register_vmexit(vx));
    int n = 0;
    for (ukvm_vmexit_fn_t *f = ukvm_core_vmexits; *f; f++)
        n++;
    printf("vmexits listed: %d\n", n);
    for (int i = 0; i < 3; i++)
        printf("register_pollfd #%d = %d\n", i, ukvm_core_register_pollfd(100 + i));
}

static void case_halt(void)
{
    ukvm_core_register_halt_hook(hook_a);
    ukvm_core_register_halt_hook(hook_b);
    ukvm_core_register_halt_hook(hook_c);
    put_halt(0x1000, 0x2000, 42);
    printf("halt -> %d\n", ukvm_core_hypercall_halt(&hv, 0x1000));
    put_halt(0x1000, 0, -7);
    printf("halt -> %d\n", ukvm_core_hypercall_halt(&hv, 0x1000));
    put_halt(0x1000, MEM_SIZE - 513, 1);
    printf("halt -> %d\n", ukvm_core_hypercall_halt(&hv, 0x1000));
}

static void case_halt_bad_cookie(void)
{
    put_halt(0x1000, MEM_SIZE - 512, 1);
    ukvm_core_hypercall_halt(&hv, 0x1000);
    printf("survived\n");
}

static void case_halt_bad_struct(void)
{
    ukvm_core_hypercall_halt(&hv, MEM_SIZE - 8);
    printf("survived\n");
}

static void case_gpa(const char *g, const char *s)
{
    ukvm_gpa_t gpa = strtoull(g, NULL, 0);
    size_t sz = strtoull(s, NULL, 0);
    uint8_t *p = UKVM_CHECKED_GPA_P(&hv, gpa, sz);
    printf("ok mem+0x%lx\n", (unsigned long)(p - hv.mem));
}

static void core_setup(void)
{
    if (ukvm_module_core.setup(&hv) != 0) {
        printf("core setup failed\n");
        exit(2);
    }
}

static void case_core_calls(void)
{
    int fds[2];
    if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1)
        exit(3);
    printf("register_pollfd = %d\n", ukvm_core_register_pollfd(fds[0]));
    core_setup();
    for (int i = 0; i < UKVM_HYPERCALL_MAX; i++)
        printf("slot %d %s\n", i, ukvm_core_hypercalls[i] ? "set" : "empty");

    struct ukvm_walltime wt = { 0 };
    memcpy(hv.mem + 0x100, &wt, sizeof wt);
    ukvm_core_hypercalls[UKVM_HYPERCALL_WALLTIME](&hv, 0x100);
    memcpy(&wt, hv.mem + 0x100, sizeof wt);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
    printf("walltime within 5s: %s\n", (ns - wt.nsecs) < 5000000000ULL ? "yes" : "no");

    memcpy(hv.mem + 0x300, "hello, puts\n", 12);
    struct ukvm_puts pu = { .data = 0x300, .len = 12 };
    memcpy(hv.mem + 0x200, &pu, sizeof pu);
    fflush(stdout);
    ukvm_core_hypercalls[UKVM_HYPERCALL_PUTS](&hv, 0x200);

    struct ukvm_poll po = { .timeout_nsecs = 1000000000ULL, .ret = 99 };
    memcpy(hv.mem + 0x400, &po, sizeof po);
    ukvm_core_hypercalls[UKVM_HYPERCALL_POLL](&hv, 0x400);
    memcpy(&po, hv.mem + 0x400, sizeof po);
    printf("poll ready -> %d\n", po.ret);

    char c;
    if (read(fds[0], &c, 1) != 1)
        exit(3);
    po.timeout_nsecs = 1000000;
    po.ret = 99;
    memcpy(hv.mem + 0x400, &po, sizeof po);
    ukvm_core_hypercalls[UKVM_HYPERCALL_POLL](&hv, 0x400);
    memcpy(&po, hv.mem + 0x400, sizeof po);
    printf("poll idle -> %d\n", po.ret);
}

static void case_puts_bad(void)
{
    core_setup();
    struct ukvm_puts pu = { .data = MEM_SIZE - 4, .len = 8 };
    memcpy(hv.mem + 0x200, &pu, sizeof pu);
    ukvm_core_hypercalls[UKVM_HYPERCALL_PUTS](&hv, 0x200);
    printf("survived\n");
}

int main(int argc, char **argv)
{
    hv.mem = calloc(1, MEM_SIZE);
    hv.mem_size = MEM_SIZE;
    if (!hv.mem || argc < 2)
        return 2;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(argv[1], "register")) case_register();
    else if (!strcmp(argv[1], "halt")) case_halt();
    else if (!strcmp(argv[1], "halt-bad-cookie")) case_halt_bad_cookie();
    else if (!strcmp(argv[1], "halt-bad-struct")) case_halt_bad_struct();
    else if (!strcmp(argv[1], "gpa") && argc == 4) case_gpa(argv[2], argv[3]);
    else if (!strcmp(argv[1], "core-calls")) case_core_calls();
    else if (!strcmp(argv[1], "puts-bad")) case_puts_bad();
    else return 2;
    return 0;
}
