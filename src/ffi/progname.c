/*
 * The program name libc's err(3) family prefixes to every diagnostic.
 * glibc (and musl) take it from argv[0] at start-up; when argv[0] is
 * missing or empty the prefix would be empty, so the monitor sets the
 * name it uses itself. Rust has no stable way to write a C global of
 * libc's, hence C.
 */

#define _GNU_SOURCE
#include <errno.h>

/* Internal to the library (hidden in the packaged libukvm.a and .so). */
__attribute__((visibility("hidden")))
void ukvm_rs_set_progname(char *name)
{
    program_invocation_name = name;
    program_invocation_short_name = name;
}
