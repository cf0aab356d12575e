/* elf-error-internal: a deliberately broken monitor for `make test-harness`.
 * When the ELF loader refuses the kernel, the monitor reports a panic
 * instead, in the words our library's panic guard uses (status 1, as a
 * refusal): the output of a bug, which no allowlist entry may accept.
 * Linked with: -Wl,--wrap=errx
 */
#include <stdio.h>
#include "mutant.h"

void __wrap_errx(int status, const char *fmt, ...)
{
    char msg[1024];
    MUTANT_FORMAT(msg, fmt);
    if (is_elf_refusal(msg)) {
        fputs("thread '<unnamed>' panicked at src/elf/phdr.rs:1:1:\n"
              "index out of bounds\n", stderr);
        __real_errx(1, "internal error in main: index out of bounds");
    }
    __real_errx(status, "%s", msg);
}
