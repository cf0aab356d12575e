/* test_module_api.c: drives the core's C module API (registration, POLL, HALT, checked guest access) without KVM. */

/*
 * Linked as a monitor (our libukvm.a, the generated module list with core
 * and the example module) with -Wl,--wrap=main, so that the C runtime
 * enters __wrap_main below instead of the monitor's main. Guest memory is
 * a plain buffer in a struct ukvm_hv of our own; no hypervisor is opened.
 *
 * The capacities tested are the C monitor's: as many vmexit handlers and
 * poll descriptors as there are modules (core included), 8 halt hooks.
 */

#define _DEFAULT_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ukvm.h"
#include "ukvm_module_example.h"

#define MEM_SIZE (1u << 20)

static int passed, failed;
static struct ukvm_hv hv;

static void check(int ok, const char *name, const char *why)
{
    if (ok) {
        printf("ok   %s\n", name);
        passed++;
    } else {
        printf("FAIL %s: %s\n", name, why);
        failed++;
    }
}

static void dummy_hypercall(struct ukvm_hv *h, ukvm_gpa_t gpa)
{
    (void)h;
    (void)gpa;
}

static int dummy_vmexit(struct ukvm_hv *h)
{
    (void)h;
    return -1;
}

static int nhook_calls;

static void counting_hook(struct ukvm_hv *h, int status, void *cookie)
{
    (void)h;
    (void)status;
    (void)cookie;
    nhook_calls++;
}

static void *guest(ukvm_gpa_t gpa)
{
    return hv.mem + gpa;
}

static int count_modules(void)
{
    int n = 0;

    while (ukvm_core_modules[n])
        n++;
    return n;
}

/*
 * Run fn in a child with stderr captured; return its wait status and put
 * what it printed in buf.
 */
static int in_child(void (*fn)(void), char *buf, size_t len)
{
    int fds[2], status;
    ssize_t n, got = 0;
    pid_t pid;

    if (pipe(fds) == -1)
        return -1;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    while (got < (ssize_t)len - 1 &&
            (n = read(fds[0], buf + got, len - 1 - (size_t)got)) > 0)
        got += n;
    buf[got] = 0;
    close(fds[0]);
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static void access_past_end(void)
{
    (void)UKVM_CHECKED_GPA_P(&hv, MEM_SIZE, 8);
}

static void access_wrapping(void)
{
    (void)UKVM_CHECKED_GPA_P(&hv, 0x10, (size_t)-1);
}

static void halt_with_bad_cookie(void)
{
    struct ukvm_halt *h = guest(0x3000);

    h->cookie = MEM_SIZE - 16;     /* cookie area runs past the end */
    h->exit_status = 3;
    (void)ukvm_core_hypercall_halt(&hv, 0x3000);
}

static void test_setup(void)
{
    struct ukvm_module **m;
    int rc = 0;

    check(count_modules() == 2 && ukvm_core_modules[0] == &ukvm_module_core
            && strcmp(ukvm_core_modules[1]->name, "example") == 0,
            "module list is core, example", "unexpected ukvm_core_modules");
    for (m = ukvm_core_modules; *m; m++)
        if ((*m)->setup(&hv) != 0)
            rc = -1;
    check(rc == 0, "every module's setup succeeds", "a setup returned non-zero");
    check(example_state()->setup_ran && example_state()->refusals == 3
            && example_state()->refusal_errors == 0,
            "core refuses out-of-range, negative and duplicate hypercalls",
            "see the example module's warnings above");
    check(ukvm_core_hypercalls[UKVM_HYPERCALL_WALLTIME] != NULL
            && ukvm_core_hypercalls[UKVM_HYPERCALL_PUTS] != NULL
            && ukvm_core_hypercalls[UKVM_HYPERCALL_POLL] != NULL,
            "core registers WALLTIME, PUTS and POLL",
            "a core hypercall slot is NULL");
}

static void test_registration(void)
{
    int quiet[2] = { -1, -1 };

    check(ukvm_core_register_hypercall(UKVM_HYPERCALL_BLKINFO, dummy_hypercall) == 0
            && ukvm_core_hypercalls[UKVM_HYPERCALL_BLKINFO] == dummy_hypercall,
            "register a free hypercall", "refused, or not in ukvm_core_hypercalls");
    check(ukvm_core_register_hypercall(UKVM_HYPERCALL_BLKINFO, dummy_hypercall) == -1,
            "refuse a second handler for it", "accepted");
    check(ukvm_core_register_hypercall(UKVM_HYPERCALL_MAX + 5, dummy_hypercall) == -1
            && ukvm_core_register_hypercall(-100, dummy_hypercall) == -1,
            "refuse hypercall numbers out of range", "accepted");
    check(ukvm_core_register_hypercall(UKVM_HYPERCALL_BLKREAD, NULL) == -1
            && ukvm_core_hypercalls[UKVM_HYPERCALL_BLKREAD] == NULL,
            "refuse a NULL handler (upstream stored it)", "accepted");

    /* Two modules: the example holds one vmexit slot, one is left. */
    check(ukvm_core_vmexits[0] != NULL, "the example's vmexit handler is listed",
            "ukvm_core_vmexits[0] is NULL");
    check(ukvm_core_vmexits[0] && ukvm_core_vmexits[0](&hv) == -1
            && example_state()->vmexits == 1,
            "the listed vmexit handler is the example's", "not called");
    check(ukvm_core_register_vmexit(dummy_vmexit) == 0
            && ukvm_core_vmexits[1] == dummy_vmexit && ukvm_core_vmexits[2] == NULL,
            "a second vmexit handler fits, list stays NULL-terminated",
            "refused or misplaced");
    check(ukvm_core_register_vmexit(dummy_vmexit) == -1,
            "refuse more vmexit handlers than modules", "accepted");

    /* Two modules: the example holds one poll slot. An empty pipe takes
     * the other, so POLL's answers below still depend on the example's. */
    check(pipe(quiet) == 0 && ukvm_core_register_pollfd(quiet[0]) == 0,
            "a second poll descriptor fits", "refused");
    check(ukvm_core_register_pollfd(quiet[0]) == -1,
            "refuse more poll descriptors than modules", "accepted");
}

static void test_hypercalls(void)
{
    struct ukvm_walltime *wt = guest(0x1000);
    struct ukvm_poll *p = guest(0x1100);
    struct ukvm_puts *pu = guest(0x1200);
    struct timespec ts;
    int out[2], saved;
    char buf[32] = { 0 };
    ssize_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    ukvm_core_hypercalls[UKVM_HYPERCALL_WALLTIME](&hv, 0x1000);
    {
        uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        check(wt->nsecs >= now && wt->nsecs - now < 10ull * 1000000000ull,
                "WALLTIME returns the wall-clock time", "off by more than 10 s");
    }

    memcpy(guest(0x1300), "hello", 5);
    pu->data = 0x1300;
    pu->len = 5;
    if (pipe(out) == 0) {
        fflush(stdout);
        saved = dup(1);
        dup2(out[1], 1);
        ukvm_core_hypercalls[UKVM_HYPERCALL_PUTS](&hv, 0x1200);
        dup2(saved, 1);
        close(saved);
        close(out[1]);
        n = read(out[0], buf, sizeof buf - 1);
        close(out[0]);
        check(n == 5 && memcmp(buf, "hello", 5) == 0,
                "PUTS writes the guest's bytes to stdout", "wrong output");
    }

    p->timeout_nsecs = 0;
    p->ret = -7;
    ukvm_core_hypercalls[UKVM_HYPERCALL_POLL](&hv, 0x1100);
    check(p->ret == 0, "POLL times out with no input", "ret != 0");

    example_poke();
    p->timeout_nsecs = 1000000000ull;
    p->ret = -7;
    ukvm_core_hypercalls[UKVM_HYPERCALL_POLL](&hv, 0x1100);
    check(p->ret == 1, "POLL reports input on a module's descriptor", "ret != 1");
    example_drain();
}

static void test_halt(void)
{
    struct ukvm_halt *h = guest(0x3000);
    int i, extra = 0, status;
    char msg[512];

    h->cookie = 0x2000;
    h->exit_status = 42;
    check(ukvm_core_hypercall_halt(&hv, 0x3000) == 42,
            "HALT returns the guest's exit status", "wrong status");
    check(example_state()->halts == 1 && example_state()->last_status == 42
            && example_state()->last_cookie == guest(0x2000),
            "halt hook gets status and host address of the cookie",
            "hook not called or wrong arguments");

    h->cookie = 0;
    h->exit_status = 7;
    ukvm_core_hypercall_halt(&hv, 0x3000);
    check(example_state()->last_status == 7 && example_state()->last_cookie == NULL,
            "halt hook gets NULL without a cookie", "wrong arguments");

    /* The example holds one of the 8 hook slots. */
    for (i = 0; i < 7; i++)
        if (ukvm_core_register_halt_hook(counting_hook) == 0)
            extra++;
    check(extra == 7, "seven more halt hooks fit", "refused early");
    check(ukvm_core_register_halt_hook(counting_hook) == -1,
            "refuse a ninth halt hook", "accepted");
    ukvm_core_hypercall_halt(&hv, 0x3000);
    check(nhook_calls == 7 && example_state()->halts == 3,
            "HALT runs every hook once", "wrong number of calls");

    status = in_child(halt_with_bad_cookie, msg, sizeof msg);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 1
            && strstr(msg, "Invalid guest access") != NULL,
            "HALT with a cookie past guest memory exits 1", msg);
}

static void test_checked_gpa(void)
{
    char msg[512];
    int status;

    check(UKVM_CHECKED_GPA_P(&hv, 0x1000, 0x100) == hv.mem + 0x1000,
            "checked access inside memory returns mem + gpa", "wrong pointer");
    status = in_child(access_past_end, msg, sizeof msg);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 1
            && strstr(msg, "test_module_api.c:") != NULL
            && strstr(msg, "Invalid guest access: gpa=0x100000, sz=8") != NULL,
            "access past the end exits 1 naming file, line, gpa and size", msg);
    status = in_child(access_wrapping, msg, sizeof msg);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 1
            && strstr(msg, "Invalid guest access: gpa=0x10,") != NULL,
            "access whose end wraps around exits 1", msg);
}

int __wrap_main(int argc, char **argv);

int __wrap_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    hv.mem = calloc(1, MEM_SIZE);
    hv.mem_size = MEM_SIZE;
    hv.b = NULL;
    if (!hv.mem)
        return 2;

    test_setup();
    test_registration();
    test_hypercalls();
    test_halt();
    test_checked_gpa();

    printf("%d passed, %d failed, 0 skipped\n", passed, failed);
    return failed ? 1 : 0;
}
