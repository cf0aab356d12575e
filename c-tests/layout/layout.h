/* layout.h: the entry type shared by the two layout tables and their comparison. */

#ifndef LAYOUT_H
#define LAYOUT_H

#include <stddef.h>

struct layout_entry {
    const char *name;
    long long value;
};

/* Value given to a macro that a header set does not define. */
#define LAYOUT_MISSING (-0x7eadbeefLL)

size_t layout_ours(struct layout_entry *out, size_t max);
size_t layout_upstream(struct layout_entry *out, size_t max);

#endif /* LAYOUT_H */
