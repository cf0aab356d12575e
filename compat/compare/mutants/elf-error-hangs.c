/* elf-error-hangs: a deliberately broken monitor for `make test-harness`.
 * When the ELF loader refuses the kernel, the monitor does not exit: it
 * waits until a signal ends it and then exits as a running guest's monitor
 * does ("Exiting on signal 15", status 1), so only a harness that tells a
 * timeout from a refusal sees the difference.
 * Linked with: -Wl,--wrap=errx
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "mutant.h"

static void on_signal(int signo)
{
    __real_errx(1, "Exiting on signal %d", signo);
}

void __wrap_errx(int status, const char *fmt, ...)
{
    char msg[1024];
    MUTANT_FORMAT(msg, fmt);
    if (is_elf_refusal(msg)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        for (;;)
            pause();
    }
    __real_errx(status, "%s", msg);
}
