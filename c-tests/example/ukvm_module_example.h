/* ukvm_module_example.h: what the example module lets its tests observe. */

#ifndef UKVM_MODULE_EXAMPLE_H
#define UKVM_MODULE_EXAMPLE_H

#include "ukvm.h"

struct example_state {
    int setup_ran;              /* setup() was called */
    int refusals;               /* bad registrations the core refused */
    int refusal_errors;         /* bad registrations the core accepted */
    int read_fd, write_fd;      /* the pipe whose read end is polled */
    unsigned long vmexits;      /* calls of the vmexit handler */
    unsigned long halts;        /* calls of the halt hook */
    int last_status;            /* status the halt hook last saw */
    void *last_cookie;          /* cookie the halt hook last saw */
    const char *tag;            /* from --example=TAG, or NULL */
};

const struct example_state *example_state(void);

/* Write one byte into the polled pipe, so that POLL reports input. */
int example_poke(void);

/* Read back what example_poke() wrote. */
int example_drain(void);

#endif /* UKVM_MODULE_EXAMPLE_H */
