/* example_modules.c: the module list of a monitor built by hand (pkg-config), core plus the example. */

#include "ukvm.h"

extern struct ukvm_module ukvm_module_example;

struct ukvm_module *ukvm_core_modules[] = {
    &ukvm_module_core,
    &ukvm_module_example,
    NULL
};
