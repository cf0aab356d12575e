/* elf-error-segfaults: a deliberately broken monitor for `make test-harness`.
 * When the ELF loader refuses the kernel, the monitor dies of a SIGSEGV
 * (status 139) instead of printing the refusal.
 * Linked with: -Wl,--wrap=errx
 */
#include <signal.h>
#include "mutant.h"

void __wrap_errx(int status, const char *fmt, ...)
{
    char msg[1024];
    MUTANT_FORMAT(msg, fmt);
    if (is_elf_refusal(msg)) {
        signal(SIGSEGV, SIG_DFL);
        *(volatile int *)0 = 0;
    }
    __real_errx(status, "%s", msg);
}
