/* ukvm_module_example.c: a third-party ukvm module using the vmexit, halt-hook and pollfd registration API. */

/*
 * It serves no hypercall: it watches the guest. Its vmexit handler counts
 * the exits the core passes on (and claims none), its halt hook records
 * the guest's exit status and cookie and, given --example=TAG, reports
 * them on stderr, and it registers the read end of a pipe with the core's
 * POLL hypercall. setup() also checks that the core refuses registrations
 * it must refuse.
 */

#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ukvm.h"
#include "ukvm_module_example.h"

static struct example_state state = { .read_fd = -1, .write_fd = -1 };

const struct example_state *example_state(void)
{
    return &state;
}

int example_poke(void)
{
    const char c = 'x';

    return write(state.write_fd, &c, 1) == 1 ? 0 : -1;
}

int example_drain(void)
{
    char c;

    return read(state.read_fd, &c, 1) == 1 ? 0 : -1;
}

static void never_called(struct ukvm_hv *hv, ukvm_gpa_t gpa)
{
    (void)hv;
    (void)gpa;
}

static int handle_vmexit(struct ukvm_hv *hv)
{
    (void)hv;
    state.vmexits++;
    return -1;                  /* not ours: let the core report it */
}

static void halt_hook(struct ukvm_hv *hv, int status, void *cookie)
{
    (void)hv;
    state.halts++;
    state.last_status = status;
    state.last_cookie = cookie;
    if (state.tag)
        fprintf(stderr, "example: %s: guest halted with status %d%s\n",
                state.tag, status, cookie ? " and a cookie" : "");
}

/* Expect the core to refuse a registration; count the outcome. */
static void expect_refused(int rc, const char *what)
{
    if (rc == -1) {
        state.refusals++;
    } else {
        state.refusal_errors++;
        warnx("example: the core accepted %s", what);
    }
}

static int setup(struct ukvm_hv *hv)
{
    int fds[2];

    (void)hv;
    state.setup_ran = 1;

    expect_refused(ukvm_core_register_hypercall(UKVM_HYPERCALL_MAX, never_called),
            "hypercall number UKVM_HYPERCALL_MAX");
    expect_refused(ukvm_core_register_hypercall(-1, never_called),
            "hypercall number -1");
    /* The core module, set up before us, owns PUTS. */
    expect_refused(ukvm_core_register_hypercall(UKVM_HYPERCALL_PUTS, never_called),
            "a second handler for UKVM_HYPERCALL_PUTS");
    if (state.refusal_errors)
        return -1;

    if (pipe(fds) == -1) {
        warn("example: pipe");
        return -1;
    }
    state.read_fd = fds[0];
    state.write_fd = fds[1];

    if (ukvm_core_register_pollfd(state.read_fd) == -1)
        return -1;
    if (ukvm_core_register_vmexit(handle_vmexit) == -1)
        return -1;
    if (ukvm_core_register_halt_hook(halt_hook) == -1)
        return -1;
    return 0;
}

static int handle_cmdarg(char *cmdarg)
{
    static const char opt[] = "--example=";

    if (strncmp(cmdarg, opt, sizeof opt - 1) != 0)
        return -1;
    state.tag = cmdarg + sizeof opt - 1;
    return 0;
}

static char *usage(void)
{
    return "--example=TAG (report the guest's exit status, tagged TAG)";
}

struct ukvm_module ukvm_module_example = {
    .name = "example",
    .setup = setup,
    .handle_cmdarg = handle_cmdarg,
    .usage = usage,
};
