/*
 * Weak default for the compiled-in module table: the core module only.
 *
 * A monitor build defines its own strong `ukvm_core_modules' listing the
 * modules it links; this default lets the library link on its own (Rust
 * tests, plain library users). Rust has no stable weak linkage, hence C.
 */

#include "ukvm.h"

__attribute__((weak)) struct ukvm_module *ukvm_core_modules[] = {
    &ukvm_module_core,
    NULL,
};
