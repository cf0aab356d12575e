/* layout_main.c: prints our and upstream's layout tables side by side and fails on any difference. */

#include <stdio.h>
#include <string.h>

#include "layout.h"

#define MAX_ENTRIES 1024

static struct layout_entry ours[MAX_ENTRIES], theirs[MAX_ENTRIES];

int main(void)
{
    size_t n_ours = layout_ours(ours, MAX_ENTRIES);
    size_t n_theirs = layout_upstream(theirs, MAX_ENTRIES);
    size_t i;
    int passed = 0, failed = 0;

    if (n_ours != n_theirs || n_ours > MAX_ENTRIES) {
        printf("FAIL table sizes differ or overflow: ours %zu, upstream %zu\n",
                n_ours, n_theirs);
        printf("0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    printf("%-64s %20s %20s\n", "entry", "ours", "upstream");
    for (i = 0; i < n_ours; i++) {
        int same = ours[i].value == theirs[i].value
            && ours[i].value != LAYOUT_MISSING
            && strcmp(ours[i].name, theirs[i].name) == 0;
        printf("%-4s %-59s %20lld %20lld\n", same ? "ok" : "FAIL",
                ours[i].name, ours[i].value, theirs[i].value);
        if (same)
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed, 0 skipped\n", passed, failed);
    return failed ? 1 : 0;
}
