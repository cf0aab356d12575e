/*
 * A test monitor: the packaged library plus one fake module with an
 * option and a usage line. Built at -O0 so that UKVM_CHECKED_GPA_P is a
 * real call to the library's out-of-line ukvm_checked_gpa_p.
 */

#include <stdlib.h>
#include <string.h>

#include "ukvm.h"

static const char *fake_value;

static void fake_hypercall(struct ukvm_hv *hv, ukvm_gpa_t gpa)
{
    char *p = UKVM_CHECKED_GPA_P(hv, gpa, 1);
    *p = fake_value ? fake_value[0] : 0;
}

static int fake_setup(struct ukvm_hv *hv)
{
    (void)hv;
    if (getenv("FAKE_SETUP_FAIL"))
        return -1;
    return ukvm_core_register_hypercall(UKVM_HYPERCALL_NETINFO, fake_hypercall);
}

static int fake_handle_cmdarg(char *cmdarg)
{
    if (strncmp(cmdarg, "--fake=", 7) != 0)
        return -1;
    fake_value = cmdarg + 7;
    return 0;
}

static char *fake_usage(void)
{
    return "--fake=VALUE (an option of the test module)";
}

struct ukvm_module ukvm_module_fake = {
    .name = "fake",
    .setup = fake_setup,
    .handle_cmdarg = fake_handle_cmdarg,
    .usage = fake_usage,
};

#ifndef CORE_ONLY
struct ukvm_module *ukvm_core_modules[] = {
    &ukvm_module_core,
    &ukvm_module_fake,
    NULL,
};
#endif
