/*
 * The compiled-in module table, as the library finds it.
 *
 * A monitor build defines `ukvm_core_modules' (NULL-terminated, core
 * first) in a small generated C file. The library refers to it weakly:
 * when nothing defines it (Rust tests, plain library users) the table
 * holds the core module only. A weak *reference* rather than a weak
 * default definition works for the shared library too, whose exports
 * rustc restricts to Rust items. Rust has no stable weak linkage, hence C.
 */

#include "ukvm.h"

extern struct ukvm_module *ukvm_core_modules[] __attribute__((weak));

static struct ukvm_module *core_only[] = {
    &ukvm_module_core,
    NULL,
};

/* Internal to the library (hidden in the packaged libukvm.a and .so). */
__attribute__((visibility("hidden")))
struct ukvm_module **ukvm_rs_module_table(void)
{
    return ukvm_core_modules ? ukvm_core_modules : core_only;
}
