/* refusal-exits-0: a deliberately broken monitor for `make test-harness`.
 * Every exit with status 1 (a refusal: bad option, bad kernel, invalid
 * guest access, a signal) becomes status 0, as if it had succeeded.
 * Linked with: -Wl,--wrap=exit -Wl,--wrap=errx -Wl,--wrap=err -Wl,--wrap=main
 */
#include <stdarg.h>
#include <stdlib.h>
#include <err.h>

void __real_exit(int status) __attribute__((noreturn));
int __real_main(int argc, char **argv);

static int mutate(int status)
{
    return status == 1 ? 0 : status;
}

void __wrap_exit(int status)
{
    __real_exit(mutate(status));
}

void __wrap_errx(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarnx(fmt, ap);
    va_end(ap);
    __real_exit(mutate(status));
}

void __wrap_err(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    __real_exit(mutate(status));
}

int __wrap_main(int argc, char **argv)
{
    return mutate(__real_main(argc, argv));
}
