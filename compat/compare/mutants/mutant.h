/* mutant.h: what the errx-wrapping mutants share: the formatted message of
 * an errx(3) call, so a mutant can pick the refusals it breaks. */
#ifndef MUTANT_H
#define MUTANT_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void __real_errx(int status, const char *fmt, ...) __attribute__((noreturn));

/* True if the message is the ELF loader refusing the kernel image. */
static inline int is_elf_refusal(const char *msg)
{
    return strstr(msg, "Exec format error") != NULL;
}

#define MUTANT_FORMAT(buf, fmt)                      \
    do {                                             \
        va_list ap_;                                 \
        va_start(ap_, fmt);                          \
        vsnprintf(buf, sizeof(buf), fmt, ap_);       \
        va_end(ap_);                                 \
    } while (0)
#endif
